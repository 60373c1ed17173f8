"""The transport-agnostic inbound pipeline: both DingTalk transports (and the failed-push list) produce one
`Event`, which is stored once per (corp_id, event_id) in the inbox and later handled by the worker.

- `event.Event` — the value; `normalise` — Stream frames / HTTP pushes / failed-list items → Event
- `inbox_store.SqlInbox` — put/put_many (intake), claim + lease-fenced finish (worker); `group_commit.GroupCommitter`
- `router.Router` — event_type → `on_<event_type>` handlers (see `callbacks/`); `worker.InboxWorker`, `retry.RetryPolicy`
- `stream_runner.StreamRunner` / `stream_runner_for(settings, store)` — `dingperf serve stream`
- `leader.LeaderLock` — one stream connection (or scheduler) per installation; `failed_list.drain_failed_pushes`
"""
