// What the pipeline bench uses of autocannon beyond bench/ingress/autocannon.d.ts (merged into it).
declare module 'autocannon' {
  interface Options {
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
  }
  interface Request {
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string | string[]>,
    ) => void;
  }
}
