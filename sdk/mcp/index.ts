// synod/sdk/mcp: the MCP server adapter (Node only). See docs/sdk.md.
export { createSynodMcpServer, commitToolName, payloadFromArgument, MCP_LIMITS, MCP_SERVER_NAME, MCP_SERVER_VERSION, type SynodMcpOptions } from './server.ts'
export { serveHttp, serveStdio, McpTokenError, MCP_HTTP_BODY_BYTES_MAX, MCP_HTTP_TOKEN_CHARS_MIN, type HttpMcpOptions, type HttpMcpServer } from './transports.ts'
// The tool definitions the MCP server and the framework adapters share, for other hosts.
export { synodTools, runToolSafely, toolErrorJson, TOOL_LIMITS, type SynodTool, type SynodToolsOptions, type ToolResult, type ToolRunContext } from '../tools/definitions.ts'
