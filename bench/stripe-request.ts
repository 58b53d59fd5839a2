import { createHmac } from 'node:crypto';

/** The Stripe scheme (the tests check it against stripe.webhooks.generateTestHeaderString). */
export function stripeSignature(secret: string, payload: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
}

/**
 * An autocannon request that POSTs a new, freshly signed Stripe event to
 * `/hooks/stripe` each time (a distinct id, so no dedupe hit).
 */
export function signedStripeRequest(secret: string) {
  let seq = 0;
  return {
    method: 'POST',
    path: '/hooks/stripe',
    setupRequest: () => {
      const body = JSON.stringify({
        id: `evt_${process.pid}_${seq++}`,
        object: 'event',
        type: 'invoice.paid',
        data: { object: { id: 'in_1', customer: 'cus_1', amount_paid: 2000, currency: 'usd' } },
      });
      return {
        method: 'POST',
        path: '/hooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(secret, body) },
        body,
      };
    },
  };
}
