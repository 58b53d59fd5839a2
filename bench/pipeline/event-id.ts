/** The bench's Stripe event ids, `evt_pl<run>_<n>`: the receiver finds them in whatever it is sent. */
export const EVENT_ID = /evt_pl[0-9a-z]+_[0-9]+/;
