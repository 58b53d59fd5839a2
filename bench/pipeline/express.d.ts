// The part of Express 5's API the hand-written baseline uses (express ships no types).
declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';
  export interface Request extends IncomingMessage {
    body: Buffer;
  }
  export interface Response extends ServerResponse {
    status(code: number): Response;
    json(value: unknown): Response;
    send(value?: unknown): Response;
    sendStatus(code: number): Response;
  }
  export type Handler = (req: Request, res: Response, next: (err?: unknown) => void) => unknown;
  export interface Application {
    get(path: string, ...handlers: Handler[]): Application;
    post(path: string, ...handlers: Handler[]): Application;
    listen(port: number, host: string, callback?: () => void): Server;
  }
  interface Express {
    (): Application;
    raw(options?: { type?: string; limit?: string }): Handler;
  }
  const express: Express;
  export default express;
}
