/** What an endpoint learns about a request that its log line and metrics report. */
export interface RequestNotes {
  /** The hosted server the request is for. */
  server: string | undefined;
  era: 'legacy' | 'modern';
  /** The JSON-RPC method, or what the request was (`batch`, `response`, `stream`, `terminate`). */
  mcpMethod: string | undefined;
  /** A log-safe handle of the session (never the id itself). */
  session: string | undefined;
}
