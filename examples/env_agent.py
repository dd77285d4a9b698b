"""Drive `dive serve env` with a model behind any OpenAI-compatible chat-completions API.

Per task: POST /reset, then let the model call the task's tools (each call is one
POST /step, answered in the sandbox from the task's recorded evidence) until it replies
without a tool call; that reply is the answer, POST /submit gives the reward.

    dive serve env tasks.jsonl &                      # listens on 127.0.0.1:8760
    python3 examples/env_agent.py --env http://127.0.0.1:8760 \
        --base-url http://127.0.0.1:8000/v1 --model my-model --task 0 --task 1

Prints one JSON line per episode, then the mean reward. The API key is read from
OPENAI_API_KEY (any text for a local server); the env token, when the server has one,
from DIVE_ENV_TOKEN.
"""

import argparse
import json
import os
import urllib.request

from openai import OpenAI

SYSTEM = "Answer the question with the tools given. When you know the answer, reply with only the answer."


def post(env: str, path: str, body: dict) -> dict:
    """One request to the environment; an HTTP error's JSON body is returned as is."""
    req = urllib.request.Request(env.rstrip("/") + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    if os.environ.get("DIVE_ENV_TOKEN"):
        req.add_header("authorization", "Bearer " + os.environ["DIVE_ENV_TOKEN"])
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def episode(env: str, client: OpenAI, model: str, task) -> dict:
    """Run one episode of `task` (uuid or index); returns the submit answer plus steps."""
    ep = post(env, "/reset", {"task": task})
    if "episode" not in ep:
        raise SystemExit(f"reset failed: {ep}")
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": ep["question"]}]
    answer = ""
    for _ in range(ep["max_steps"] + 1):
        reply = client.chat.completions.create(model=model, messages=messages, tools=ep["tools"])
        msg = reply.choices[0].message
        if not msg.tool_calls:
            answer = msg.content or ""
            break
        messages.append(msg.model_dump(exclude_none=True))
        for call in msg.tool_calls:
            step = post(env, "/step", {"episode": ep["episode"], "tool": call.function.name, "arguments": call.function.arguments})
            content = step["result"] if "result" in step else {"error": step.get("error")}
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(content)})
    out = post(env, "/submit", {"episode": ep["episode"], "answer": answer})
    return {"task": ep["task"], "answer": answer, **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="http://127.0.0.1:8760", help="the dive serve env URL")
    ap.add_argument("--base-url", required=True, help="the chat-completions API base URL (…/v1)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--task", action="append", required=True, help="a task uuid or index (repeatable)")
    args = ap.parse_args()
    client = OpenAI(base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY", "unused"))
    rewards = []
    for t in args.task:
        result = episode(args.env, client, args.model, int(t) if t.isdigit() else t)
        rewards.append(result.get("reward", 0.0))
        print(json.dumps(result), flush=True)
    print(json.dumps({"episodes": len(rewards), "mean_reward": sum(rewards) / len(rewards)}))


if __name__ == "__main__":
    main()
