const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The sign-in form (dashboard and console): one password field, posted to
 * `/admin/login`. `next` (a console path, checked by the caller) travels in a hidden field.
 */
export function loginPage(message?: string, next?: string): string {
  const notice = message ? `<p class="error" role="alert">${escape(message)}</p>` : '';
  const nextField = next ? `\n  <input type="hidden" name="next" value="${escape(next)}">` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>hookgate admin: sign in</title>
<style>
  body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; margin: 0; }
  form { display: grid; gap: .75rem; width: min(22rem, 90vw); }
  input, button { font: inherit; padding: .5rem; }
  .error { color: #b00020; margin: 0; }
</style>
</head>
<body>
<form method="post" action="/admin/login">
  <h1>hookgate admin</h1>
  ${notice}
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>${nextField}
  <button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
