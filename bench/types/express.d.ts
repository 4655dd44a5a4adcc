// Minimal typings for the parts of express 5 the sdk-v1-express target uses
// (the repository installs express without @types/express).
declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  export interface Request extends IncomingMessage {
    body: unknown;
  }
  export interface Response extends ServerResponse {
    status(code: number): Response;
    json(body: unknown): Response;
  }
  export type NextFunction = (error?: unknown) => void;
  export type RequestHandler = (req: Request, res: Response, next: NextFunction) => unknown;
  export interface Express {
    (req: IncomingMessage, res: ServerResponse): void;
    use(handler: RequestHandler): Express;
    post(path: string, handler: RequestHandler): Express;
    listen(port: number, host: string, callback?: () => void): Server;
  }
  interface ExpressFactory {
    (): Express;
    json(options?: { limit?: string | number }): RequestHandler;
  }
  const express: ExpressFactory;
  export default express;
}
