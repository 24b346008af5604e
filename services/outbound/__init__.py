"""The outbound half of WeChat: the sender process, its worklist and the WeChat API client.

`sender.Sender` follows the event log (the `outbox` worklist view, tracked like every
read model), dispatches due pushes, reconciles abandoned attempts and sends due
messages through `wechat.WeChatGateway` (wechatpy's WeChatClient), rate limited by
`ratelimit.TokenBucket` (LIANJIE_OUTBOX_RATE per second, LIANJIE_OUTBOX_BURST).
Run it with `python -m services.outbound`, or inside the worker.

Never lost, never doubled
-------------------------
- Queue once: an `OutboundMessage`'s id is uuid5 of the caller's key, so a second
  `queue_outbound` with the same key collides and returns the first message. A push
  queues its members in chunks, each in one transaction with the push's
  `MembersQueued`, so an interrupted expansion resumes without doubles.
- Attempt before sending: `Attempted` is saved against the message's version before
  the HTTP call. Two senders can never make the same attempt; a sender that dies
  leaves an attempt without outcome, never an unrecorded send.
- Outcomes: errcode 0 -> `Delivered`; an errcode, or an error before any byte left
  (connect refused/timeout, token fetch) -> `Failed` with the code and a retry time
  (exponential backoff from LIANJIE_OUTBOX_BACKOFF_SECONDS, at most
  LIANJIE_OUTBOX_MAX_ATTEMPTS sends; refusals no retry can change, such as 43004
  "not following", stop at once; 45015/45047 "outside the window" retry at once as a
  template); a read timeout, a dropped connection or a 5xx -> `OutcomeUnknown`.

Reconciliation: the rule and why
--------------------------------
An attempt without outcome older than LIANJIE_OUTBOX_STALE_SECONDS (default 60, more
than the HTTP timeout, so it is no longer in flight anywhere) is settled as unknown:
- template messages carry `client_msg_id` = <message id>-<attempt>; WeChat sends one
  message per (openid, client_msg_id) within 10 minutes. An unknown template send is
  therefore replayed with the *same* id while that window lasts (we allow 9 minutes),
  and any retry after it keeps the id. Exactly once, by WeChat's de-duplication.
- customer-service messages (`message/custom/send`) have no idempotency field: a
  resend could double the message. They stay `unknown` (at most once after the
  attempt) and wait for an operator: `resolve_outbound(key, resend=True|False)`.
- a template whose replay window closed (the sender was down 9+ minutes) also waits
  for an operator.
Limits: each crash or timeout can leave at most one customer-service message in
`unknown` per sender (sends are sequential); it may or may not have arrived.
Connections are not kept alive, so a stale pooled connection never makes a send
unknown, at the cost of one TCP/TLS handshake per send.

The 48-hour window
------------------
A text or news message goes as a customer-service message only within 48 hours of
the follower's last interaction, else as a template (the payload's own `template`,
or the notice template LIANJIE_OUTBOX_TEMPLATE_ID with fields first/keyword1/remark;
without one it fails as "outside the 48-hour window"). The last interaction comes
from events: `InboundMessage.Received` that WeChat counts (any message; subscribe,
SCAN, CLICK, scancode_* events) and `Member.Followed`/`Refollowed`. Till purchases do
not count: WeChat does not see them. If WeChat still answers 45015/45047, the next
attempt goes as a template at once.
"""
