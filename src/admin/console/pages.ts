import type { DeadLetterSummary } from '../../dead-letter/store.js';
import { EVENT_STATUSES, type EventDetail, type EventSummary } from '../../events/history.js';
import type { DestinationInfo } from '../../queue/controls.js';
import { answerText, type ProxyAnswer } from './answers.js';
import { actionForm, bodyView, CONSOLE_BASE, csrfField, esc, headersTable } from './html.js';

/** Rows the live Events table keeps at most (new ones on top, the oldest dropped). */
export const LIVE_ROWS = 200;

/** The "Request → answer" column: shown when a source is in proxy mode; `of`: by event id. */
export interface AnswerColumn {
  column: boolean;
  of: Map<string, ProxyAnswer>;
}

export const eventHref = (id: string) => `${CONSOLE_BASE}/events/${encodeURIComponent(id)}`;

const time = (iso: string | undefined) => (iso ? `<time datetime="${esc(iso)}">${esc(iso)}</time>` : '');

/** A label beside (not around) its control, so a select's option is not part of the field's name. */
function textField(name: string, label: string, value: string | undefined, extra = ''): string {
  return `<span class="field"><label for="f-${name}">${esc(label)}</label><input id="f-${name}" name="${name}" value="${esc(value ?? '')}"${extra}></span>`;
}

function selectField(
  name: string,
  label: string,
  value: string | undefined,
  options: readonly string[],
): string {
  const opts = ['', ...options]
    .map(
      (o) =>
        `<option value="${esc(o)}"${o === (value ?? '') ? ' selected' : ''}>${o ? esc(o) : 'Any'}</option>`,
    )
    .join('');
  return `<span class="field"><label for="f-${name}">${esc(label)}</label><select id="f-${name}" name="${name}">${opts}</select></span>`;
}

export interface EventFilters {
  source?: string;
  type?: string;
  status?: string;
  since?: string;
  until?: string;
  q?: string;
}

export function eventsBody(
  filters: EventFilters,
  items: EventSummary[],
  sources: string[],
  nextCursor: string | null,
  live: boolean,
  answers: AnswerColumn = { column: false, of: new Map() },
): string {
  const query = new URLSearchParams(
    Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
  const list = `<datalist id="sources">${sources.map((s) => `<option value="${esc(s)}">`).join('')}</datalist>`;
  const form = `<form class="filters" method="get" action="/admin/" role="search">
${textField('source', 'Source', filters.source, ' list="sources" autocomplete="off"')}${list}
${textField('type', 'Type', filters.type)}
${selectField('status', 'Status', filters.status, EVENT_STATUSES)}
${textField('since', 'Since', filters.since, ' placeholder="1h, ISO time or epoch ms"')}
${textField('until', 'Until', filters.until, ' placeholder="ISO time or epoch ms"')}
${textField('q', 'Search', filters.q, ' type="search" placeholder="event id, dedupe key or body text"')}
<button type="submit">Filter</button> <a href="/admin/">Clear</a>
</form>`;
  const rows = items.map((e) => eventRow(e, answers)).join('');
  const columns = answers.column ? 6 : 5;
  const empty =
    items.length === 0
      ? `<tr id="no-events"><td colspan="${columns}" class="muted">No events.</td></tr>`
      : '';
  const liveAttr = live
    ? ` data-live="${esc(`${CONSOLE_BASE}/live${query.size ? `?${query}` : ''}`)}" data-event-base="${CONSOLE_BASE}/events/" data-max-rows="${LIVE_ROWS}"${answers.column ? ' data-answers="1"' : ''}`
    : '';
  const controls = live
    ? `<div class="live-bar"><p id="live-status" class="muted" role="status">Live</p>
<button type="button" id="live-toggle" aria-pressed="false" aria-controls="event-rows">Pause live updates</button>
<p id="live-more" hidden><a href="/admin/${query.size ? `?${esc(query.toString())}` : ''}">0 more events (not shown)</a></p></div>`
    : '<p id="live-status" class="muted" role="status">Not live on an older page</p>';
  const older = nextCursor
    ? `<p><a href="/admin/?${esc(new URLSearchParams([...query, ['cursor', nextCursor]]).toString())}">Older events</a></p>`
    : '';
  return `${form}
${controls}
<table><caption>Events, newest first</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Status</th>${answers.column ? '<th scope="col">Request → answer</th>' : ''}<th scope="col">Event id</th></tr></thead>
<tbody id="event-rows"${liveAttr}>${rows}${empty}</tbody></table>${older}`;
}

function eventRow(e: EventSummary, answers: AnswerColumn): string {
  const a = answers.of.get(e.id);
  const answer = answers.column
    ? `<td class="answer${a ? ` condition-${esc(a.condition)}` : ''}">${a ? esc(answerText(a)) : ''}</td>`
    : '';
  return `<tr data-id="${esc(e.id)}"><td>${time(e.receivedAt)}</td><td>${esc(e.source)}</td><td>${esc(e.type ?? '')}</td><td class="status status-${esc(e.status)}">${esc(e.status)}</td>${answer}<td><a href="${esc(eventHref(e.id))}">${esc(e.id)}</a></td></tr>`;
}

/** What the live view needs of each event: the list's summaries, and a proxy record's request → answer. */
export function liveItems(items: EventSummary[], answers: Map<string, ProxyAnswer>) {
  return items.map(({ id, receivedAt, source, type, status }) => {
    const a = answers.get(id);
    return {
      id,
      receivedAt,
      source,
      type,
      status,
      ...(a ? { answer: answerText(a), condition: a.condition } : {}),
    };
  });
}

export function eventBody(
  event: EventDetail,
  csrf: string,
  replayTargets: string[],
  proxy?: ProxyAnswer,
): string {
  const env = event.envelope;
  const req = env.requestPayload;
  const res = env.responsePayload;
  const path = req.rawPath + (req.rawQueryString ? `?${req.rawQueryString}` : '');
  const ctx = env.requestContext;
  const summary = `<table class="kv"><caption>Event</caption><tbody>
<tr><th scope="row">Event id</th><td>${esc(event.id)}</td></tr>
<tr><th scope="row">Received</th><td>${time(event.receivedAt)}</td></tr>
<tr><th scope="row">Source</th><td>${esc(event.source)}</td></tr>
<tr><th scope="row">Type</th><td>${esc(event.type ?? '')}</td></tr>
<tr><th scope="row">Dedupe key</th><td>${esc(event.dedupeKey ?? '')}</td></tr>
<tr><th scope="row">Status</th><td class="status status-${esc(event.status)}">${esc(event.status)}</td></tr>
<tr><th scope="row">Verified</th><td>${ctx.verified ? `yes (${esc(ctx.verifier)})` : 'no'}</td></tr>
</tbody></table>`;
  const actionBase = `${eventHref(event.id)}/replay`;
  const actions = `<div class="actions">${actionForm(actionBase, csrf, 'Replay')}${replayTargets
    .map((d) =>
      actionForm(
        actionBase,
        csrf,
        `Replay to ${d}`,
        `<input type="hidden" name="destination" value="${esc(d)}">`,
      ),
    )
    .join('')}</div>`;
  const request = `<section aria-labelledby="req"><h2 id="req">Request</h2>
<p><strong>${esc(req.requestContext.http.method)}</strong> <code>${esc(path)}</code> <span class="muted">from ${esc(req.requestContext.http.sourceIp)}</span>${req.truncated ? ' <strong>(body truncated)</strong>' : ''}</p>
${headersTable(req.headers, 'Request headers')}
${bodyView(req.body, req.isBase64Encoded, 'Request body')}</section>`;
  const fnError = env.responseContext.functionError;
  // A proxy record is a call to an API and what the API answered: that pair first.
  const pair = proxy
    ? `<section aria-labelledby="pair" class="pair"><h2 id="pair">Request → answer</h2>
<table class="kv"><caption>The call through the proxy and the upstream's answer</caption><tbody>
<tr><th scope="row">Method</th><td>${esc(proxy.method)}</td></tr>
<tr><th scope="row">Path</th><td><code>${esc(path)}</code></td></tr>
<tr><th scope="row">Status</th><td>${esc(proxy.status)}</td></tr>
<tr><th scope="row">Condition</th><td class="condition-${esc(proxy.condition)}">${esc(proxy.condition)}</td></tr>
<tr><th scope="row">functionError</th><td>${esc(proxy.functionError ?? 'none')}</td></tr>
</tbody></table>
<p class="pair-line"><code>${esc(answerText(proxy))}</code></p></section>`
    : '';
  const answer = `<section aria-labelledby="ans"><h2 id="ans">${proxy ? 'Upstream answer' : 'Answer'}</h2>
<p>Status <strong>${esc(res.statusCode)}</strong>, condition <strong>${esc(ctx.condition)}</strong>${fnError ? `, functionError <strong>${esc(fnError)}</strong>` : ''}${res.truncated ? ' (body truncated)' : ''}</p>
${headersTable(res.headers, 'Answer headers')}
${bodyView(res.body, res.isBase64Encoded, 'Answer body')}</section>`;
  const deliveries = event.deliveries.length
    ? event.deliveries.map(deliveryView).join('')
    : '<p class="muted">No deliveries (no route matched).</p>';
  return `${summary}${actions}${pair}${request}${answer}<section aria-labelledby="dels"><h2 id="dels">Deliveries</h2>${deliveries}</section>`;
}

function deliveryView(d: EventDetail['deliveries'][number]): string {
  const attempts = d.attempts
    .map(
      (a) =>
        `<tr><td class="num">${esc(a.attempt)}</td><td>${time(a.startedAt)}</td><td class="num">${esc(a.durationMs)} ms</td><td class="outcome-${esc(a.outcome)}">${esc(a.outcome)}${a.replay ? ' (replay)' : ''}</td><td>${esc(a.error ?? '')}</td></tr>`,
    )
    .join('');
  const table = attempts
    ? `<table><caption>Attempts to ${esc(d.destination)}</caption><thead><tr><th scope="col" class="num">Attempt</th><th scope="col">Time</th><th scope="col" class="num">Duration</th><th scope="col">Outcome</th><th scope="col">Error</th></tr></thead><tbody>${attempts}</tbody></table>`
    : '<p class="muted">No attempts yet.</p>';
  const extra = [
    d.queueState ? `queue: ${esc(d.queueState)}` : '',
    d.nextAttemptAt ? `next attempt ${time(d.nextAttemptAt)}` : '',
    d.replayOf ? `replay of ${esc(d.replayOf)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `<div class="delivery" data-delivery="${esc(d.id)}"><h3>${esc(d.destination)} <span class="status status-${esc(d.status)}">${esc(d.status)}</span></h3>
<p class="muted">${esc(d.id)}${extra ? ` · ${extra}` : ''}</p>${d.error ? `<p>Last error: ${esc(d.error)}</p>` : ''}${table}</div>`;
}

export interface DeadLetterFilters {
  destination?: string;
  source?: string;
  since?: string;
}

export function deadLettersBody(
  filters: DeadLetterFilters,
  items: DeadLetterSummary[],
  destinations: string[],
  sources: string[],
  csrf: string,
  nextCursor: string | undefined,
): string {
  const form = `<form class="filters" method="get" action="${CONSOLE_BASE}/dead-letters" role="search">
${selectField('destination', 'Destination', filters.destination, destinations)}
${selectField('source', 'Source', filters.source, sources)}
${textField('since', 'Since', filters.since, ' placeholder="1h, ISO time or epoch ms"')}
<button type="submit">Filter</button> <a href="${CONSOLE_BASE}/dead-letters">Clear</a>
</form>`;
  const rows = items
    .map(
      (d, i) =>
        `<tr><td><input type="checkbox" name="ids" value="${esc(d.id)}" id="dl-${i}" aria-label="Select ${esc(d.id)}"></td><td>${time(d.failedAt)}</td><td>${esc(d.source)}</td><td>${esc(d.destination)}</td><td class="num">${esc(d.attemptsMade)}</td><td>${esc(d.error)}</td><td><a href="${esc(eventHref(d.eventId))}">${esc(d.eventId)}</a></td></tr>`,
    )
    .join('');
  const query = new URLSearchParams(
    Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
  const older = nextCursor
    ? `<p><a href="${CONSOLE_BASE}/dead-letters?${esc(new URLSearchParams([...query, ['cursor', nextCursor]]).toString())}">Older dead letters</a></p>`
    : '';
  const table = items.length
    ? `<form method="post" action="${CONSOLE_BASE}/dead-letters/replay">${csrfField(csrf)}
<div class="actions"><button type="submit">Replay selected</button> <button type="submit" formaction="${CONSOLE_BASE}/dead-letters/purge">Purge selected</button></div>
<table><caption>Dead letters, newest first</caption>
<thead><tr><th scope="col"><input type="checkbox" id="select-all" aria-label="Select all"></th><th scope="col">Failed</th><th scope="col">Source</th><th scope="col">Destination</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col">Event</th></tr></thead>
<tbody>${rows}</tbody></table></form>${older}`
    : '<p class="muted">No dead letters.</p>';
  return form + table;
}

export function purgeConfirmBody(ids: string[], csrf: string): string {
  const hidden = ids.map((id) => `<input type="hidden" name="ids" value="${esc(id)}">`).join('');
  const list = ids.map((id) => `<li>${esc(id)}</li>`).join('');
  return `<p>Purging deletes these ${ids.length} dead letter${ids.length === 1 ? '' : 's'} for good; they cannot be replayed afterwards.</p>
<ul>${list}</ul>
<form method="post" action="${CONSOLE_BASE}/dead-letters/purge">${csrfField(csrf)}${hidden}<input type="hidden" name="confirm" value="yes">
<button type="submit">Confirm purge</button> <a href="${CONSOLE_BASE}/dead-letters">Cancel</a></form>`;
}

export function destinationsBody(items: DestinationInfo[], csrf: string): string {
  const rows = items
    .map((d, i) => {
      const total = d.delivered5m + d.failed5m;
      const rate = total ? `${Math.round((d.delivered5m / total) * 1000) / 10}%` : '–';
      const action = d.state === 'paused' ? 'resume' : 'pause';
      const button = actionForm(
        `${CONSOLE_BASE}/destinations/${encodeURIComponent(d.name)}/${action}`,
        csrf,
        action === 'pause' ? 'Pause' : 'Resume',
        '',
        ` aria-describedby="dest-${i}"`,
      );
      const state =
        d.state === 'suspended' && d.suspendedUntil
          ? `suspended until ${time(d.suspendedUntil)}`
          : d.state === 'paused' && d.pausedAt
            ? `paused since ${time(d.pausedAt)}`
            : esc(d.state);
      return `<tr data-destination="${esc(d.name)}"><th scope="row" id="dest-${i}">${esc(d.name)}</th><td>${esc(d.type)}</td><td class="state state-${esc(d.state)}">${state}</td><td class="num">${d.waiting}</td><td class="num">${d.inFlight}</td><td class="num">${d.delivered5m}</td><td class="num">${d.failed5m}</td><td class="num">${rate}</td><td class="num">${d.deadLetters}</td><td>${d.lastError ? `${time(d.lastError.at)} ${esc(d.lastError.error)}` : ''}</td><td>${button}</td></tr>`;
    })
    .join('');
  return `<table><caption>Destinations</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">State</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Delivered (5 min)</th><th scope="col" class="num">Failed (5 min)</th><th scope="col" class="num">Success (5 min)</th><th scope="col" class="num">Dead letters</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
