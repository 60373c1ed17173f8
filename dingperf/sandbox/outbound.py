"""Everything dingperf sends to people, as one component of SandboxState (`state.outbound`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every message, group, robot, card and registered template; reload cards/."""
        self.mailbox = Mailbox()
        self.groups = GroupStore()
        self.notifier = WorkNotifier(self.mailbox)
        self.dings = DingService(self.mailbox)
        self.robots = RobotRegistry()
        self.messenger = RobotMessenger(self.mailbox, self.groups)
        self.templates = TemplateRegistry()
        self.templates.load_dir(self.cards_dir or default_cards_dir())
        self.cards = CardStore()
        self.callback_routes = CallbackRoutes()
