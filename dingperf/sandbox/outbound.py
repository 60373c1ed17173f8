"""Everything dingperf sends to people, as one component of SandboxState (`state.outbound`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dingperf.sandbox.bot_sessions import BotSessions
from dingperf.sandbox.card_callbacks import CallbackRoutes
from dingperf.sandbox.card_templates import TemplateRegistry, default_cards_dir
from dingperf.sandbox.cards import CardStore
from dingperf.sandbox.dings import DingService
from dingperf.sandbox.groups import GroupStore
from dingperf.sandbox.mailbox import Mailbox
from dingperf.sandbox.notifications import WorkNotifier
from dingperf.sandbox.robot_messages import RobotMessenger
from dingperf.sandbox.robots import RobotRegistry

CARD_CALLBACK_DEADLINE_S = 2.0


@dataclass
class Outbound:
    """Mailbox, groups, work notifications, DINGs, robots and cards of the sandbox org."""

    cards_dir: Path | None = None
    card_callback_deadline_s: float = CARD_CALLBACK_DEADLINE_S
    mailbox: Mailbox = field(init=False)
    groups: GroupStore = field(init=False)
    notifier: WorkNotifier = field(init=False)
    dings: DingService = field(init=False)
    robots: RobotRegistry = field(init=False)
    messenger: RobotMessenger = field(init=False)
    templates: TemplateRegistry = field(init=False)
    cards: CardStore = field(init=False)
    callback_routes: CallbackRoutes = field(init=False)
    sessions: BotSessions = field(init=False)

    def __post_init__(self) -> None:
        self.groups = GroupStore()
        self.robots = RobotRegistry()
        self.templates = TemplateRegistry()
        self.templates.load_dir(self.cards_dir or default_cards_dir())
        self.callback_routes = CallbackRoutes()
        self.reset()

    def reset(self) -> None:
        """Forget everything sent (messages, DINGs, cards, group and robot histories, rate windows);
        keep the org's setup: groups, custom robots, templates, callback routes and switches."""
        old_dings, old_messenger = self.__dict__.get("dings"), self.__dict__.get("messenger")
        old_notifier = self.__dict__.get("notifier")
        self.mailbox = Mailbox()
        self.notifier = WorkNotifier(self.mailbox)
        if old_notifier is not None:
            self.notifier.recipients_per_minute = old_notifier.recipients_per_minute
        self.dings = DingService(self.mailbox)
        self.messenger = RobotMessenger(self.mailbox, self.groups)
        if old_dings is not None and old_messenger is not None:
            self.dings.premium = old_dings.premium
            self.messenger.oto_per_user_per_minute = old_messenger.oto_per_user_per_minute
        self.cards = CardStore()
        self.sessions = BotSessions()
        self.groups.clear_messages()
        self.robots.clear_history()
