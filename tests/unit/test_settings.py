"""Settings: lookup order, env overrides, and validation errors that name the key, the file and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from dingperf.config_file import render_example, render_org_config, render_sandbox_config
from dingperf.settings import ConfigError, load_settings, masked_settings, sandbox_settings

GOOD_AES = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456"
REPO = Path(__file__).resolve().parents[2]


def org_toml(**overrides: str) -> str:
    """A valid real-organisation config; overrides replace `key = value` lines verbatim."""
    lines = {
        "dingtalk": {"corp_id": '"dingcorp123"', "app_key": '"dingappkey123"', "app_secret": '"s3cretS3cret"',
                     "agent_id": "123456", "event_mode": '"http"', "callback_token": '"tok123"',
                     "callback_aes_key": f'"{GOOD_AES}"'},
        "server": {"secret_key": '"' + "k" * 40 + '"'},
    }
    text = []
    for section, keys in lines.items():
        text.append(f"[{section}]")
        for key, value in keys.items():
            text.append(f"{key} = {overrides.pop(f'{section}.{key}', value)}")
        for name in [n for n in overrides if n.startswith(section + ".")]:
            text.append(f"{name.split('.', 1)[1]} = {overrides.pop(name)}")
    for name, value in overrides.items():
        section, key = name.split(".", 1)
        text.append(f"[{section}]\n{key} = {value}")
    return "\n".join(text) + "\n"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem_keys(exc: ConfigError) -> set[str]:
    return {p.key for p in exc.problems}


def test_valid_org_config_loads_with_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, org_toml()), environ={})
    assert s.dingtalk.qps_per_api == 20 and s.dingtalk.monthly_quota == 5000
    assert s.dingtalk.api_base == "https://api.dingtalk.com"
    assert s.org.timezone == "Asia/Shanghai"
    assert s.dingtalk.effective_robot_code == "dingappkey123"


def test_default_sqlite_file_sits_beside_the_config_file(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, org_toml()), environ={})
    assert s.database.url == f"sqlite:///{tmp_path.resolve()}/dingperf.db"


def test_short_aes_key_is_refused_naming_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, org_toml(**{"dingtalk.callback_aes_key": '"tooShort1"'}))
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert problem_keys(err.value) == {"dingtalk.callback_aes_key"}
    assert str(path.resolve()) in str(err.value) and "43 characters" in str(err.value)


def test_aes_key_with_punctuation_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.callback_aes_key": f'"{GOOD_AES[:-1]}+"'})), environ={})
    assert problem_keys(err.value) == {"dingtalk.callback_aes_key"}


@pytest.mark.parametrize("token", ['"ab"', '"' + "a" * 33 + '"', '"has space"'])
def test_bad_callback_token_is_refused(tmp_path: Path, token: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.callback_token": token})), environ={})
    assert problem_keys(err.value) == {"dingtalk.callback_token"}
    assert "3-32 letters or digits" in str(err.value)


def test_unknown_event_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.event_mode": '"websocket"'})), environ={})
    assert problem_keys(err.value) == {"dingtalk.event_mode"}


def test_placeholder_secret_is_refused_outside_the_sandbox(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.app_secret": '"change-me"'})), environ={})
    assert problem_keys(err.value) == {"dingtalk.app_secret"}
    assert "placeholder" in str(err.value) and "sandbox = true" in str(err.value)


def test_placeholder_secrets_are_accepted_in_the_sandbox(tmp_path: Path) -> None:
    text = render_example().replace("sandbox = false", "sandbox = true")
    s = load_settings(write(tmp_path, text), environ={})
    assert s.is_sandbox and s.dingtalk.app_secret == "change-me"


def test_short_secret_key_is_refused_outside_the_sandbox(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"server.secret_key": '"short"'})), environ={})
    assert problem_keys(err.value) == {"server.secret_key"}


def test_plain_http_api_base_is_refused_outside_the_sandbox(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.api_base": '"http://api.example.com"'})), environ={})
    assert problem_keys(err.value) == {"dingtalk.api_base"}


def test_malformed_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"server.public_url": '"perf.example.com"'})), environ={})
    assert problem_keys(err.value) == {"server.public_url"}


def test_unknown_key_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"dingtalk.app_sceret": '"x"'})), environ={})
    assert problem_keys(err.value) == {"dingtalk.app_sceret"}
    assert "did you mean app_secret" in str(err.value)


def test_unknown_section_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"databse.url": '"sqlite://"'})), environ={})
    assert problem_keys(err.value) == {"databse"}


def test_wrong_type_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"server.port": '"8080"'})), environ={})
    assert problem_keys(err.value) == {"server.port"}


def test_unknown_timezone_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"org.timezone": '"Mars/Olympus"'})), environ={})
    assert problem_keys(err.value) == {"org.timezone"}


def test_unsupported_database_scheme_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml(**{"database.url": '"mysql://u@h/db"'})), environ={})
    assert problem_keys(err.value) == {"database.url"}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = org_toml(**{"dingtalk.callback_token": '"a"', "dingtalk.event_mode": '"x"', "server.port": "70000"})
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert problem_keys(err.value) == {"dingtalk.callback_token", "dingtalk.event_mode", "server.port"}


def test_env_override_wins_over_the_file_with_typed_conversion(tmp_path: Path) -> None:
    env = {"DINGPERF_DINGTALK_QPS_PER_API": "7", "DINGPERF_DINGTALK_CALLBACK_TOKEN": "fromEnv",
           "DINGPERF_ORG_HR_USERIDS": "u1, u2", "DINGPERF_DINGTALK_SANDBOX": "false"}
    s = load_settings(write(tmp_path, org_toml()), environ=env)
    assert s.dingtalk.qps_per_api == 7 and s.dingtalk.callback_token == "fromEnv"
    assert s.org.hr_userids == ("u1", "u2")
    assert s.origins["dingtalk.qps_per_api"] == "env DINGPERF_DINGTALK_QPS_PER_API"


def test_bad_env_override_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml()), environ={"DINGPERF_SERVER_PORT": "eighty"})
    assert "env DINGPERF_SERVER_PORT" in str(err.value)


def test_unknown_env_key_in_a_known_section_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, org_toml()), environ={"DINGPERF_DINGTALK_APPKEY": "x"})
    assert problem_keys(err.value) == {"dingtalk.appkey"}


def test_env_vars_of_other_tools_are_ignored(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, org_toml()), environ={"DINGPERF_TEST_DATABASE_URL": "postgresql://x/y"})
    assert s.database.url.startswith("sqlite:///")


def test_explicit_path_wins_over_env_var(tmp_path: Path) -> None:
    explicit = write(tmp_path, org_toml(**{"dingtalk.agent_id": "1"}), "a.toml")
    other = write(tmp_path, org_toml(**{"dingtalk.agent_id": "2"}), "b.toml")
    assert load_settings(explicit, environ={"DINGPERF_CONFIG": str(other)}).dingtalk.agent_id == 1


def test_env_var_path_is_used_without_explicit_path(tmp_path: Path) -> None:
    other = write(tmp_path, org_toml(**{"dingtalk.agent_id": "2"}), "b.toml")
    assert load_settings(None, environ={"DINGPERF_CONFIG": str(other)}).dingtalk.agent_id == 2


def test_config_toml_in_current_folder_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, org_toml(**{"dingtalk.agent_id": "3"}))
    monkeypatch.chdir(tmp_path)
    assert load_settings(None, environ={}).dingtalk.agent_id == 3


def test_missing_config_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "nope.toml", environ={})
    assert "dingperf init" in str(err.value)


def test_masked_settings_hide_secrets_and_database_password(tmp_path: Path) -> None:
    text = org_toml(**{"database.url": '"postgresql://perf:hunter2@db:5432/perf"'})
    shown = masked_settings(load_settings(write(tmp_path, text), environ={}))
    flat = repr(shown)
    assert "s3cretS3cret" not in flat and GOOD_AES not in flat and "hunter2" not in flat and "tok123" not in flat
    assert shown["dingtalk"]["app_key"] == "dingappkey123"
    assert shown["database"]["url"] == "postgresql://perf:****@db:5432/perf"


def test_shipped_example_documents_every_key_and_matches_the_renderer() -> None:
    assert (REPO / "config.example.toml").read_text(encoding="utf-8") == render_example()


def test_org_config_from_init_still_needs_the_admin_to_fill_placeholders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, render_org_config()), environ={})
    assert "dingtalk.app_secret" in problem_keys(err.value)
    assert "server.secret_key" not in problem_keys(err.value)


def test_sandbox_config_from_init_is_valid(tmp_path: Path) -> None:
    creds = {"corp_id": "dingc", "app_key": "dingk", "app_secret": "S" * 64, "agent_id": 3000000001,
             "robot_code": "dingk", "callback_token": "tok123", "callback_aes_key": GOOD_AES}
    s = load_settings(write(tmp_path, render_sandbox_config(creds, "http://127.0.0.1:8765")), environ={})
    assert s.dingtalk.api_base == "http://127.0.0.1:8765" and s.is_sandbox


def test_sandbox_settings_helper_builds_valid_settings() -> None:
    s = sandbox_settings(base_url="http://127.0.0.1:1", corp_id="c", app_key="k", app_secret="s", agent_id=1,
                         robot_code="k", callback_token="tok", callback_aes_key=GOOD_AES,
                         database_url="sqlite://")
    assert s.dingtalk.oapi_base == "http://127.0.0.1:1" and s.database.url == "sqlite://"


def test_org_zone_is_the_configured_time_zone(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, org_toml(**{"org.timezone": '"Asia/Urumqi"'})), environ={})
    assert s.org.zone.key == "Asia/Urumqi"
