"""The Python baseline of `scripts/bench_serve.sh`: an MCP server from the `mcp` package
(MCPServer, formerly FastMCP) serving bio_seq_reverse_complement with Biopython over
streamable HTTP at http://127.0.0.1:PORT/mcp.

    python3 scripts/bench_fastmcp_bio.py PORT
"""

import sys

from Bio.Seq import Seq
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

app = MCPServer("biopython-baseline", log_level="WARNING")


class ReverseComplementOutput(BaseModel):
    reverse_complement: str
    length: int


@app.tool()
def bio_seq_reverse_complement(sequence: str) -> ReverseComplementOutput:
    """Give the opposite DNA strand read 5' to 3', as Biopython's Seq.reverse_complement does."""
    rc = str(Seq(sequence).reverse_complement())
    return ReverseComplementOutput(reverse_complement=rc, length=len(rc))


if __name__ == "__main__":
    app.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
