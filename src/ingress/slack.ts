import type { IncomingRequest } from './verify.js';

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Slack's `ssl_check=1` probe is a form POST that Slack does not sign; bolt-js
 * answers it before verification, and so do we. It carries nothing to store.
 */
export function isSlackSslCheck(incoming: IncomingRequest): boolean {
  if (mediaType(incoming.headers['content-type']) !== 'application/x-www-form-urlencoded') return false;
  return Boolean(new URLSearchParams(incoming.rawBody.toString('utf8')).get('ssl_check'));
}

/** The challenge of a (verified) `url_verification` request, which Slack expects echoed. */
export function slackChallenge(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { type, challenge } = body as { type?: unknown; challenge?: unknown };
  return type === 'url_verification' && typeof challenge === 'string' ? challenge : undefined;
}
