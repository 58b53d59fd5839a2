import { connect } from 'node:net';

/**
 * Writes `text` as-is on a fresh connection and returns the status and the JSON body
 * of everything the server sent back (for requests no HTTP client will send: bad
 * URLs, broken chunking, oversized or missing headers). `body` is undefined when empty.
 */
export function rawExchange(port: number, text: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = out.split('\r\n\r\n');
      const body = rest.join('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: body === '' ? undefined : JSON.parse(body) });
    });
    socket.end(text);
  });
}
