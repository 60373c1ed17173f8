"""`dingperf demo`: the whole product against the embedded sandbox DingTalk, narrated step by step."""
