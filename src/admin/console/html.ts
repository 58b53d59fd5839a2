/**
 * The console's HTML: escaping and the page frame. Everything is rendered on the
 * server from strings; the only script is `/admin/console/app.js` (served, same origin),
 * so the Content-Security-Policy allows no inline script or style at all.
 */
export const CONSOLE_BASE = '/admin/console';

/** Text and attribute values: the five characters that matter in HTML. */
export function esc(value: string | number | undefined | null): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface Frame {
  title: string;
  /** Which nav link is the current page. */
  current?: 'events' | 'dead-letters' | 'destinations';
  /** Notice after an action (fixed texts chosen by the server, never echoed input). */
  notice?: string;
  error?: string;
  body: string;
}

const NAV: [Frame['current'], string, string][] = [
  ['events', '/admin/', 'Events'],
  ['dead-letters', `${CONSOLE_BASE}/dead-letters`, 'Dead letters'],
  ['destinations', `${CONSOLE_BASE}/destinations`, 'Destinations'],
];

export function page(frame: Frame): string {
  const nav = NAV.map(
    ([key, href, label]) =>
      `<li><a href="${href}"${frame.current === key ? ' aria-current="page"' : ''}>${label}</a></li>`,
  ).join('');
  const notice = frame.notice ? `<p class="notice" role="status">${esc(frame.notice)}</p>` : '';
  const error = frame.error ? `<p class="error" role="alert">${esc(frame.error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(frame.title)} · hookgate console</title>
<link rel="stylesheet" href="${CONSOLE_BASE}/app.css">
<script src="${CONSOLE_BASE}/app.js" defer></script>
</head>
<body>
<header>
<nav aria-label="Console"><span class="brand">hookgate</span><ul>${nav}</ul><a class="signout" href="/admin/logout">Sign out</a></nav>
</header>
<main>
<h1>${esc(frame.title)}</h1>
${notice}${error}${frame.body}
</main>
</body>
</html>
`;
}

/** A hidden CSRF field for an action form. */
export function csrfField(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

/** One POST form with one button. */
export function actionForm(action: string, csrf: string, label: string, extra = '', attrs = ''): string {
  return `<form method="post" action="${esc(action)}" class="inline">${csrfField(csrf)}${extra}<button type="submit"${attrs}>${esc(label)}</button></form>`;
}

/** A JSON body pretty-printed (collapsible), base64 with its size, or raw text. */
export function bodyView(body: string | null, isBase64: boolean, label: string): string {
  if (body === null || body === '') return `<p class="muted">${esc(label)}: empty</p>`;
  if (isBase64) {
    const bytes = Buffer.from(body, 'base64').length;
    return `<details open><summary>${esc(label)} (base64, ${bytes} bytes)</summary><pre class="body">${esc(body)}</pre></details>`;
  }
  let pretty: string | undefined;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    pretty = undefined;
  }
  const size = Buffer.byteLength(body, 'utf8');
  return pretty !== undefined
    ? `<details open><summary>${esc(label)} (JSON, ${size} bytes)</summary><pre class="body json">${esc(pretty)}</pre></details>`
    : `<details open><summary>${esc(label)} (${size} bytes)</summary><pre class="body">${esc(body)}</pre></details>`;
}

export function headersTable(headers: Record<string, string>, caption: string): string {
  const rows = Object.entries(headers)
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  return rows
    ? `<table class="kv"><caption>${esc(caption)}</caption><tbody>${rows}</tbody></table>`
    : `<p class="muted">${esc(caption)}: none</p>`;
}
