// Synod's release version, in one place for what reports it (the node's build_info
// metric, the MCP server's name and version). A constant rather than a read of
// package.json, whose path differs between the sources and a build; a test keeps the two
// equal (test/version.test.ts).
export const SYNOD_VERSION = '0.1.0'
