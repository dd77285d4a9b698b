// dive_tool: write dive tools in JavaScript, built into a WASI component by
// componentize-js (the dive:tool/tool-provider world in wit/).
//
//   import { defineTools, InvalidArgs } from "./dive_tool.js";
//   export const tool = defineTools([{ name, description, inputSchema, outputSchema, run }]);
//
// - inputSchema / outputSchema are JSON Schemas (2020-12) as objects; `examples` in the
//   input schema are the arguments `dive tool check` calls the tool with.
// - run(args) gets the parsed arguments (the host has checked them against the schema)
//   and returns a JSON-serializable value, or a promise of one.
// - throw new InvalidArgs(msg) / new Upstream(msg) for the WIT tool-error of that kind;
//   any other exception becomes `internal` with its name and message.

const DIALECT = "https://json-schema.org/draft/2020-12/schema";

/** Base of the errors a tool throws on purpose. */
export class ToolFailure extends Error {
  get tag() {
    return "internal";
  }
}

/** The arguments were rejected (the WIT tool-error `invalid-args`). */
export class InvalidArgs extends ToolFailure {
  get tag() {
    return "invalid-args";
  }
}

/** The remote service failed or answered an error (`upstream`). */
export class Upstream extends ToolFailure {
  get tag() {
    return "upstream";
  }
}

/** The WIT tool-error a call fails with: { tag, val } as the component model wants it. */
export class ToolCallError extends Error {
  constructor(tag, message) {
    super(message);
    this.payload = { tag, val: message };
  }
}

function withDialect(schema) {
  return schema && !("$schema" in schema) ? { $schema: DIALECT, ...schema } : schema;
}

/** The dive:tool/tool export of a component whose tools are `tools`. */
export function defineTools(tools) {
  const byName = new Map();
  for (const t of tools) {
    if (byName.has(t.name)) throw new Error(`two tools are named ${t.name}`);
    if (!t.description) throw new Error(`tool ${t.name} needs a description`);
    byName.set(t.name, t);
  }
  return {
    listTools() {
      return tools.map((t) => ({
        name: t.name,
        description: t.description,
        inputSchema: JSON.stringify(withDialect(t.inputSchema)),
        outputSchema: t.outputSchema ? JSON.stringify(withDialect(t.outputSchema)) : undefined,
      }));
    },
    call(name, args) {
      const t = byName.get(name);
      if (!t) throw new ToolCallError("invalid-args", `this component has no tool named '${name}'`);
      let parsed;
      try {
        parsed = JSON.parse(args);
      } catch (e) {
        throw new ToolCallError("invalid-args", `${name}: the arguments are not JSON: ${e.message}`);
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ToolCallError("invalid-args", `${name}: the arguments must be a JSON object`);
      }
      let result;
      try {
        result = t.run(parsed);
      } catch (e) {
        throw asCallError(e);
      }
      if (result && typeof result.then === "function") {
        return result.then(
          (value) => JSON.stringify(value),
          (e) => {
            throw asCallError(e);
          },
        );
      }
      return JSON.stringify(result);
    },
  };
}

function asCallError(e) {
  if (e instanceof ToolFailure) return new ToolCallError(e.tag, e.message);
  return new ToolCallError("internal", `${e?.name ?? "Error"}: ${e?.message ?? String(e)}`);
}
