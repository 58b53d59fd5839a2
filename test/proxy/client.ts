import { request, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  /** Name/value pairs as they came over the wire. */
  rawHeaders: string[];
  body: Buffer;
}

/** A caller of the proxied API: one real HTTP request, headers as given (arrays repeat), body as exact bytes. */
export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    // Node frames a body on its own only for methods that usually carry one; DELETE does not.
    if (
      options.body !== undefined &&
      !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))
    )
      headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(url, { method: options.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const FRAMING = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** The end-to-end headers of an answer, as sorted `name: value` lines (repeats kept apart). */
export function endToEnd(rawHeaders: readonly string[], without: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (FRAMING.has(name) || without.includes(name)) continue;
    out.push(`${name}: ${rawHeaders[i + 1]}`);
  }
  return out.sort();
}

export function json(answer: Answer): unknown {
  return JSON.parse(answer.body.toString('utf8'));
}
