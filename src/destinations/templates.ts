import type { Envelope } from '../record/envelope.js';
import { recordView, TemplateError, type RecordView, type Template } from '../record/template.js';
import { PermanentError } from './errors.js';

/**
 * Renders a destination's templates for one record. The view (which parses the body)
 * is built at most once, and only if a template reads it. A missing path cannot
 * appear on a later attempt, so it is permanent.
 */
export class Renderer {
  private view?: RecordView;
  constructor(private readonly envelope: Envelope) {}

  render(template: Template): string {
    if (template.constant) return template.text;
    this.view ??= recordView(this.envelope);
    try {
      return template.render(this.view);
    } catch (err) {
      if (err instanceof TemplateError) throw new PermanentError(err.message, { cause: err });
      throw err;
    }
  }
}
