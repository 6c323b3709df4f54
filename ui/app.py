"""The zkfed web app: the page a data scientist at a member organisation uses.

Four views: **Member** (connect, load a local dataset that never leaves this machine),
**Governance** (proposals, votes, tally, execution), **Training** (join a task, train, quantise,
prove and submit with live progress; the round's status from contract events) and **History**
(accuracy and loss per round, gas, proof times, each global model's CID).

Serve it with ``zkfed ui`` (127.0.0.1:5006 by default) or ``panel serve ui/app.py``; with no
configuration it starts anvil, deploys a demo consortium and simulates the other members. See
the README's "Web app" section for a configured RPC + IPFS node, TLS and basic authentication.
"""

from __future__ import annotations

import atexit
import errno
import html
import math
import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `panel serve ui/app.py` runs this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import panel as pn
import param
from bokeh.models import (
    ColumnDataSource,
    FixedTicker,
    LinearAxis,
    Range1d,
    SingleIntervalTicker,
)
from bokeh.plotting import figure
from tornado.httputil import HTTPHeaders, HTTPServerRequest
from tornado.web import OutputTransform

from ui.backend import (
    DEMO_PASSWORD,
    MAX_UPLOAD_BYTES,
    Consortium,
    HistoryRow,
    MemberSession,
    ProposalView,
    RoundView,
    RunningRound,
    Settings,
    TaskView,
    describe_deadline,
    fit_to_task,
    inspect_upload,
    sentence,
    short,
)
from ui.upload_guard import UploadGuard
from zkfed.exceptions import ConfigurationError

pn.extension(sizing_mode="stretch_width")

STAGES = ("train", "quantise", "prove", "submit", "recovery", "finalize")
UPLOAD_TYPES = ".csv,.npz"
PRIVACY_NOTE = (
    "**Your data stays on this machine.** The file is read by this app's own server (which "
    "listens on 127.0.0.1 unless its operator chose otherwise), kept in memory for local "
    "training and never sent to the chain, to IPFS or to other members. Only masked, "
    "clipped model updates with their proofs leave, and no one can read a single update."
)


def shared_consortium(settings: Settings | None = None) -> Consortium:
    """The process's consortium, created on first use and shared by every session.

    It connects on the calling thread (ape needs the main thread for that) and deploys or
    attaches in a background thread; sessions show its progress until it is ready.
    """

    def create() -> Consortium:
        consortium = Consortium(settings or Settings.from_env())
        consortium.connect()
        atexit.register(consortium.close)

        def bootstrap() -> None:
            try:
                consortium.bootstrap()
            except Exception:  # the state and message say what went wrong; the page shows it
                return

        threading.Thread(target=bootstrap, name="zkfed-bootstrap", daemon=True).start()
        return consortium

    consortium: Consortium = pn.state.as_cached("zkfed-consortium", create)
    return consortium


class App(pn.viewable.Viewer):
    """One browser session's page."""

    busy = param.Boolean(default=False, doc="A long job (training, a vote) is running.")
    progress = param.Integer(default=0, bounds=(0, 100), doc="Progress of the running job, %.")
    stage = param.String(default="", doc="Stage of the running job.")
    task_id = param.Integer(default=0, doc="The task the member joined (0: none).")
    log = param.List(default=[], item_type=str, doc="Lines of the status log, oldest first.")

    def __init__(
        self, consortium: Consortium | None = None, logout: bool = False, **params: Any
    ) -> None:
        super().__init__(**params)
        self._logout = logout
        self.consortium = consortium or shared_consortium()
        self.session = MemberSession(self.consortium)
        self._doc = pn.state.curdoc
        self._jobs = ThreadPoolExecutor(1, thread_name_prefix="zkfed-job")
        self._refresher = ThreadPoolExecutor(1, thread_name_prefix="zkfed-refresh")
        self._refreshing = False
        self._seen_version = -1
        self._proposals_signature: Any = None
        self._was_ready = False
        self._tasks: dict[int, TaskView] = {}
        self._round: RoundView | None = None
        self._ticker: Any = None
        self._build()
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self._on_load)
            pn.state.on_session_destroyed(self._on_destroyed)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.consortium.settings
        self._banner = pn.pane.Alert("Starting…", alert_type="info")
        # Connection (sidebar)
        mode = "embedded demo consortium" if settings.embedded else "configured deployment"
        self._where = pn.pane.Markdown(
            f"**Network** `{settings.network}`  \n**Mode** {mode}  \n"
            f"**Store** `{settings.storage or 'embedded (.zkfed/store)'}`"
        )
        self._account = pn.widgets.Select(name="Account", options={})
        self._passphrase = pn.widgets.PasswordInput(
            name="Account passphrase", visible=not settings.embedded
        )
        self._password = pn.widgets.PasswordInput(
            name="Keystore password",
            placeholder=f"demo: {DEMO_PASSWORD}" if settings.embedded else "",
        )
        self._connect = pn.widgets.Button(name="Connect", button_type="primary")
        self._connect.param.watch(self._on_connect, "clicks")
        self._who = pn.pane.Alert("Not connected.", alert_type="secondary")
        # Member view
        self._file = pn.widgets.FileInput(accept=UPLOAD_TYPES, name="Dataset (CSV or NPZ)")
        self._file.param.watch(self._on_file, "value")
        self._guard = UploadGuard(limit=MAX_UPLOAD_BYTES, accept=UPLOAD_TYPES)
        self._guard.param.watch(self._on_refused, "refused")
        self._label = pn.widgets.Select(name="Label column", options=[], disabled=True)
        self._features = pn.widgets.MultiChoice(name="Feature columns", options=[], disabled=True)
        self._use = pn.widgets.Button(name="Validate and use", button_type="primary", disabled=True)
        self._use.param.watch(self._on_use, "clicks")
        self._data_status = pn.pane.Alert(
            "No dataset loaded yet"
            + (": training uses your share of the demo data." if settings.embedded else "."),
            alert_type="secondary",
        )
        self._sample = pn.widgets.FileDownload(
            callback=self._sample_csv,
            filename="zkfed-demo-member-1.csv",
            label="Download a sample CSV (your share of the demo data)",
            visible=settings.embedded,
            button_type="light",
        )
        member = pn.Column(
            "## Your dataset",
            pn.pane.Markdown(PRIVACY_NOTE),
            pn.pane.Markdown(
                f"CSV with a header row, or NPZ; at most {MAX_UPLOAD_BYTES // 2**20} MiB; "
                "numeric features without missing values; a label column."
            ),
            self._file,
            self._guard,
            pn.Row(self._label, self._features),
            self._use,
            self._data_status,
            self._sample,
        )
        # Governance view
        self._proposals = pn.Column(pn.pane.Markdown("No proposals yet."))
        self._new_member = pn.widgets.TextInput(
            name="Propose a new member (its address)", placeholder="0x…"
        )
        self._propose = pn.widgets.Button(
            name="Propose member", button_type="primary", align="end", width=170, disabled=True
        )
        self._propose.param.watch(self._on_propose_member, "clicks")
        governance = pn.Column(
            "## Proposals",
            pn.pane.Markdown(
                "Members choose the model and admit or remove members by an on-chain vote; a "
                "majority of all members carries a proposal, and executing it opens a training "
                "task or changes the membership."
            ),
            pn.Row(self._new_member, self._propose),
            self._proposals,
        )
        # Training view
        self._task = pn.widgets.Select(name="Task", options={})
        self._join = pn.widgets.Button(name="Join task", button_type="primary")
        self._join.param.watch(self._on_join, "clicks")
        self._task_info = pn.pane.Markdown("Join a task to train in it.")
        self._start = pn.widgets.Button(name="Start training", button_type="success", disabled=True)
        self._start.param.watch(self._on_start, "clicks")
        self._start_reason = pn.pane.Markdown(
            "Connect (left-hand panel) and join a task to train.", styles={"color": "#9a3412"}
        )
        self._dropout = pn.widgets.Checkbox(
            name="Simulate a dropout (the last simulated member stays away)",
            visible=settings.embedded,
        )
        self._reveal = pn.widgets.Button(name="Remove masks", visible=not settings.embedded)
        self._reveal.param.watch(self._on_reveal, "clicks")
        self._finalize = pn.widgets.Button(name="Finalize round", visible=not settings.embedded)
        self._finalize.param.watch(self._on_finalize, "clicks")
        self._bar = pn.indicators.Progress(value=0, max=100, bar_color="success")
        self._stages = pn.pane.Markdown(self._stage_text())
        self._log = pn.pane.HTML("", styles={"max-height": "14em", "overflow-y": "auto"})
        self._round_pane = pn.pane.Markdown("No round yet.")
        training = pn.Column(
            "## Training",
            pn.Row(self._task, self._join),
            self._task_info,
            pn.Row(self._start, self._dropout, self._reveal, self._finalize),
            self._start_reason,
            self._stages,
            self._bar,
            self._log,
            "### Round status",
            self._round_pane,
        )
        # History view
        self._source = ColumnDataSource(data={"round": [], "accuracy": [], "loss": []})
        plot = figure(
            height=300,
            sizing_mode="stretch_width",
            title="Global model per round, on your test data",
            x_axis_label="round",
            y_axis_label="accuracy (%)",
            x_range=Range1d(0.5, 1.5),
            y_range=Range1d(-4, 104),  # 0 % and 100 % points stay clear of the frame
            tools="hover,save",
            tooltips=[("round", "@round"), ("accuracy", "@accuracy{0.0} %"), ("loss", "@loss")],
        )
        plot.xaxis.ticker = SingleIntervalTicker(interval=1, num_minor_ticks=0)  # whole rounds
        plot.yaxis[0].ticker = FixedTicker(ticks=[0, 20, 40, 60, 80, 100])
        plot.extra_y_ranges = {"loss": Range1d(0, 2.0)}
        plot.add_layout(LinearAxis(y_range_name="loss", axis_label="loss"), "right")
        plot.line("round", "accuracy", source=self._source, line_width=2, legend_label="accuracy")
        plot.scatter("round", "accuracy", source=self._source, size=8)
        plot.line(
            "round",
            "loss",
            source=self._source,
            y_range_name="loss",
            line_width=2,
            line_dash="dashed",
            color="firebrick",
            legend_label="loss",
        )
        plot.scatter(
            "round", "loss", source=self._source, y_range_name="loss", size=7, color="firebrick"
        )
        plot.legend.location = "bottom_left"
        self._plot = plot
        self._history = pn.pane.Markdown("No finalized round yet.")
        history = pn.Column(
            "## History", pn.pane.Bokeh(plot, sizing_mode="stretch_width"), self._history
        )
        self._tabs = pn.Tabs(
            ("Member", member),
            ("Governance", governance),
            ("Training", training),
            ("History", history),
            dynamic=False,
        )
        self._template = pn.template.BootstrapTemplate(
            title="zkfed — federated learning, privately",
            sidebar=[
                "## Connection",
                self._where,
                self._account,
                self._passphrase,
                self._password,
                self._connect,
                self._who,
                pn.pane.HTML(
                    '<a href="./logout">Log out</a> (ends this browser\'s login)',
                    visible=self._logout,
                ),
            ],
            main=[pn.Column(self._banner, self._tabs)],
            # Bootstrap's resources are all bundled with Panel: the page loads with no network.
        )

    def __panel__(self) -> pn.template.BootstrapTemplate:
        return self._template

    # --- threads ---------------------------------------------------------------------------------

    def _ui(self, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn` on the session's event loop (from a worker thread)."""
        doc = self._doc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(partial(fn, *args))
        else:
            fn(*args)

    def _on_load(self) -> None:
        # In the background: the page's busy spinner then shows the member's own actions, not a
        # poll that runs twice a second forever.
        self._ticker = pn.io.PeriodicCallback(callback=self._tick, period=500, background=True)
        self._ticker.start()

    def _on_destroyed(self, context: Any) -> None:
        del context
        if self._ticker is not None:
            self._ticker.stop()
        self._jobs.shutdown(wait=False, cancel_futures=True)
        self._refresher.shutdown(wait=False, cancel_futures=True)

    def _tick(self) -> None:
        """Cheap, on the server thread: start a refresh when the chain moved."""
        consortium = self.consortium
        if consortium.state != "ready":
            failed = consortium.state == "failed"
            self._banner.object = (
                f"The consortium could not start: {consortium.message}"
                if failed
                else f"Starting: {consortium.message}…"
            )
            self._banner.alert_type = "danger" if failed else "info"
            self._banner.visible = True
            return
        if not self._was_ready:
            self._was_ready = True
            self._banner.visible = False
            self._account.options = self.session.account_choices()
        feed = consortium.feed
        version = feed.version if feed else 0
        if feed is not None and feed.error:
            self._banner.object, self._banner.alert_type = feed.error, "warning"
            self._banner.visible = True
        self._follow_other_tab()
        if version != self._seen_version and not self._refreshing:
            self._seen_version = version
            self._refreshing = True
            self._refresher.submit(self._refresh)

    def _refresh(self) -> None:
        """Off the server thread: read the chain, then update the views."""
        try:
            proposals = self.session.proposals()
            tasks = self.session.tasks()
            views = []
            if self.task_id:
                current = self.session.round_view(self.task_id)
                views = [current]
                if current.round > 1:
                    views.append(self.session.round_view(self.task_id, current.round - 1))
            rows = self.session.history(self.task_id) if self.task_id else []
            self._ui(self._show, proposals, tasks, views, rows)
        except Exception as error:
            self._ui(self._say, f"could not refresh: {sentence(error)}")
        finally:
            self._refreshing = False

    def _show(
        self,
        proposals: list[ProposalView],
        tasks: list[TaskView],
        views: list[RoundView],
        rows: list[HistoryRow],
    ) -> None:
        self._show_proposals(proposals)
        self._tasks = {t.task_id: t for t in tasks}
        self._task.options = {
            f"task {t.task_id}: {t.title} (round {t.current_round} of {t.rounds})": t.task_id
            for t in tasks
        }
        if views:
            self._round = views[0]
            self._round_pane.object = "\n\n".join(self._round_text(v) for v in views)
            recovery = views[0].status == "recovery"
            self._reveal.disabled = self._finalize.disabled = not recovery or self.busy
        if self.task_id in self._tasks:
            task = self._tasks[self.task_id]
            self._task_info.object = self._task_text(task)
            self._start.name = f"Start training for round {task.current_round}"

        self._show_history(rows)

    def _start_job(
        self,
        title: str,
        job: Callable[..., Any],
        done: Callable[[Any], None] | None = None,
    ) -> None:
        if self.busy:
            self._say("another job is running; wait for it to finish.")
            return
        self.busy = True
        self._set_buttons()
        self._say(f"{title}…")
        self._jobs.submit(self._run_job, job, done)

    def _run_job(self, job: Callable[..., Any], done: Callable[[Any], None] | None) -> None:
        try:
            result = job(self._report)
        except Exception as error:
            self._ui(self._failed, sentence(error))
        else:
            if done is not None:
                self._ui(done, result)
        finally:
            self._ui(self._finished)

    def _report(self, stage: str, fraction: float, message: str) -> None:
        self._ui(self._progress, stage, fraction, message)

    def _progress(self, stage: str, fraction: float, message: str) -> None:
        self.stage = stage
        self.progress = max(0, min(100, round(100 * fraction)))
        self._bar.value = self.progress
        self._stages.object = self._stage_text()
        self._say(message)

    def _failed(self, message: str) -> None:
        self._bar.bar_color = "danger"
        self._say(f"error: {message}")

    def _finished(self) -> None:
        self.busy = False
        self._set_buttons()
        self._seen_version = -1  # show the outcome at once

    def _say(self, line: str) -> None:
        self.log = [*self.log[-199:], line]
        self._log.object = "<pre style='white-space: pre-wrap; margin: 0'>{}</pre>".format(
            html.escape("\n".join(reversed(self.log)))
        )

    def _set_buttons(self) -> None:
        for button in (self._connect, self._use, self._join):
            button.disabled = self.busy
        self._propose.disabled = self.busy or not self.session.connected
        self._use.disabled = self.busy or self._file.value is None
        reason = self._start_blocked()
        self._start.disabled = self.busy or bool(reason)
        self._start_reason.object = reason
        self._start_reason.visible = bool(reason) and not self.busy

    def _start_blocked(self) -> str:
        """Why Start cannot be pressed now, in one sentence next to it (empty: it can)."""
        if not self.session.connected:
            return "Connect first (left-hand panel)."
        if not self.task_id:
            return "Join a task first."
        running = self.session.running_round()
        if self.session.started_elsewhere(running):
            return _other_tab(running)
        task = self._tasks.get(self.task_id)
        if task is not None and self.session.dataset is not None:
            try:
                fit_to_task(self.session.dataset, task.spec, task.classes, task.scaling)
            except Exception as error:
                return f"Your dataset cannot be used for task {task.task_id}: {sentence(error)}"
        return ""

    def _follow_other_tab(self) -> None:
        """While another tab of this member runs a round, show its progress and keep Start off."""
        if self.busy:
            return
        running = self.session.running_round()
        elsewhere = self.session.started_elsewhere(running)
        if elsewhere and running is not None:
            self.stage = running.stage
            self._bar.value = max(0, min(100, round(100 * running.fraction)))
            self._stages.object = self._stage_text()
            if running.message and (not self.log or self.log[-1] != running.message):
                self._say(running.message)
        if elsewhere or self._start_reason.object.startswith("A round is already running"):
            self._set_buttons()
            if not elsewhere:
                self._seen_version = -1  # the other tab's round ended: show its outcome

    # --- connection ------------------------------------------------------------------------------

    def _on_connect(self, event: param.parameterized.Event) -> None:
        del event
        key, password, passphrase = (
            self._account.value,
            self._password.value,
            self._passphrase.value,
        )
        if not key:
            self._who.object, self._who.alert_type = "Choose an account first.", "danger"
            return

        def done(message: str) -> None:
            self._who.object, self._who.alert_type = message.capitalize() + ".", "success"
            self._password.value = self._passphrase.value = ""
            self._set_buttons()

        def job(report: Callable[[str, float, str], None]) -> str:
            try:
                return self.session.connect(str(key), password or "", passphrase or "", report)
            except Exception as error:
                self._ui(self._connect_failed, sentence(error))
                raise

        self._start_job("unlocking the keystore", job, done)

    def _connect_failed(self, message: str) -> None:
        self._who.object, self._who.alert_type = message[:1].upper() + message[1:], "danger"

    # --- member view -----------------------------------------------------------------------------

    def _on_file(self, event: param.parameterized.Event) -> None:
        data, filename = event.new, self._file.filename or ""
        if data is None:
            return
        try:
            columns = inspect_upload(filename, data)
        except Exception as error:
            self._reject(sentence(error))
            return
        self._label.options = list(columns.columns)
        self._label.value = columns.label
        self._features.options = list(columns.columns)
        self._features.value = list(columns.features)
        self._label.disabled = self._features.disabled = False
        self._use.disabled = self.busy
        self._data_status.object = (
            f"'{filename}' has {len(columns.columns)} columns: choose the label and the "
            "features, then validate."
        )
        self._data_status.alert_type = "info"

    def _on_refused(self, event: param.parameterized.Event) -> None:
        """The browser stopped a file before sending it (empty, or over the page's limit)."""
        del event
        refused = self._guard.refused_file()
        if refused is None:
            return
        name, size = refused
        limit = MAX_UPLOAD_BYTES // 2**20
        self._reject(
            f"File '{name}' is empty."
            if size == 0
            else f"File '{name}' has {size / 2**20:.1f} MiB, over this page's limit of {limit} "
            f"MiB; it was not sent (use the command line, 'zkfed train', for larger data)."
        )

    def _reject(self, message: str) -> None:
        self._data_status.object, self._data_status.alert_type = message, "danger"
        self._label.disabled = self._features.disabled = self._use.disabled = True

    def _on_use(self, event: param.parameterized.Event) -> None:
        del event
        data, filename = self._file.value, self._file.filename or ""
        label, features = self._label.value, list(self._features.value)
        if data is None:
            return

        def job(report: Callable[[str, float, str], None]) -> Any:
            try:
                return self.session.use_upload(filename, data, str(label), features)
            except Exception as error:
                self._ui(self._reject, sentence(error))
                raise

        def done(dataset: Any) -> None:
            classes = ", ".join(dataset.class_names)
            rows = (
                f"{len(dataset.y_train)} training and {len(dataset.y_test)} test rows, "
                f"{dataset.n_features} features, {dataset.n_classes} classes ({classes})"
            )
            task = self._tasks.get(self.task_id or int(self._task.value or 0))
            problem = ""
            if task is not None:
                try:
                    fit_to_task(dataset, task.spec, task.classes, task.scaling)
                except Exception as error:
                    problem = sentence(error)
            if problem and task is not None:
                self._data_status.object = (
                    f"'{filename}' is readable ({rows}) but task {task.task_id} cannot use it: "
                    f"{problem}"
                )
                self._data_status.alert_type = "warning"
            else:
                fits = f", fits task {task.task_id}" if task is not None else ""
                self._data_status.object = (
                    f"'{filename}' is valid: {rows}{fits}. It stays on this machine."
                )
                self._data_status.alert_type = "success"
            if self.task_id and task is not None:
                self._task_info.object = self._task_text(task)
            self._set_buttons()

        self._start_job(f"validating '{filename}'", job, done)

    def _sample_csv(self) -> BytesIO:
        return BytesIO(self.session.sample_csv())

    # --- governance view -------------------------------------------------------------------------

    def _show_proposals(self, proposals: list[ProposalView]) -> None:
        if not proposals:
            return
        disabled = self.busy or not self.session.connected
        shown = []  # (card text, [(button name, style, handler)])
        for p in proposals:
            if p.kind != "task":
                shown.append((_membership_text(p), self._proposal_buttons(p)))
                continue
            model = p.spec.get("model", {})
            training = p.spec.get("training", {})
            hidden = model.get("hidden") or []
            text = (
                f"#### Proposal {p.proposal_id}: {p.title}\n"
                f"**State** {p.state}"
                + (f" (task {p.task_id})" if p.task_id else "")
                + f" · **Tally** {p.for_votes} for, {p.against_votes} against, "
                f"{p.majority} of {p.electorate} needed"
                + (" · you voted" if p.voted else "")
                + f" · **Outcome** {_outcome(p)}"
                + f"  \n**Model** {model.get('kind', '?')}"
                + (f" with hidden layers {hidden}" if hidden else "")
                + f", {model.get('n_features', '?')} features, "
                f"{model.get('n_classes', '?')} classes, {p.parameters} parameters  \n"
                f"**Training** {training.get('epochs', '?')} epochs, "
                f"{training.get('optimizer', '?')} lr {training.get('lr', '?')}, "
                f"batch {training.get('batch_size', '?')} · clip norm "
                f"{p.spec.get('clip_norm', '?')}  \n**Terms** {p.terms}  \n**Spec** `{p.spec_cid}`"
            )
            if _cannot_carry(p):
                text += "  \n*No vote buttons: enough members voted against that it cannot carry.*"
            shown.append((text, self._proposal_buttons(p)))
        # Rebuild only on a change: a rebuild replaces the buttons, and a click that reaches the
        # server for a button just replaced is lost.
        signature = (disabled, [(text, [name for name, _, _ in row]) for text, row in shown])
        if signature == self._proposals_signature:
            return
        self._proposals_signature = signature
        cards = []
        for text, row in shown:
            widgets = []
            for name, style, handler in row:
                button = pn.widgets.Button(
                    name=name, button_type=style, disabled=disabled, width=170, sizing_mode="fixed"
                )
                button.param.watch(handler, "clicks")
                widgets.append(button)
            cards.append(pn.Column(pn.pane.Markdown(text), pn.Row(*widgets), styles=_CARD))
        self._proposals.objects = cards

    def _proposal_buttons(self, p: ProposalView) -> list[tuple[str, str, Callable[..., None]]]:
        """Vote buttons while the member's vote can still matter; Execute once it carried."""
        buttons: list[tuple[str, str, Callable[..., None]]] = []
        if p.state == "active" and not p.voted and not _cannot_carry(p):
            for support in (True, False):
                buttons.append(
                    (
                        f"Vote {'for' if support else 'against'} {p.proposal_id}",
                        "success" if support else "danger",
                        partial(self._on_vote, p.proposal_id, support),
                    )
                )
        if p.state == "succeeded":
            execute = partial(self._on_execute, p.proposal_id)
            buttons.append((f"Execute {p.proposal_id}", "primary", execute))
        return buttons

    def _on_propose_member(self, event: param.parameterized.Event) -> None:
        del event
        address = self._new_member.value or ""
        if not address.strip():
            self._say("enter the address of the member to propose.")
            return

        def done(proposal_id: int) -> None:
            self._new_member.value = ""
            self._say(f"proposed {address.strip()} as a member: proposal {proposal_id}")

        self._start_job(
            f"proposing {address.strip()} as a member",
            lambda report: self.session.propose_member(address),
            done,
        )

    def _on_vote(self, proposal_id: int, support: bool, event: param.parameterized.Event) -> None:
        del event
        self._start_job(
            f"voting {'for' if support else 'against'} proposal {proposal_id}",
            lambda report: self.session.vote(proposal_id, support),
            self._say,
        )

    def _on_execute(self, proposal_id: int, event: param.parameterized.Event) -> None:
        del event
        self._start_job(
            f"executing proposal {proposal_id}",
            lambda report: self.session.execute(proposal_id),
            lambda task_id: self._say(
                f"proposal {proposal_id} opened task {task_id}"
                if task_id
                else f"proposal {proposal_id} executed: the membership changed"
            ),
        )

    # --- training view ---------------------------------------------------------------------------

    def _on_join(self, event: param.parameterized.Event) -> None:
        del event
        task_id = self._task.value
        if not task_id:
            self._say("no task yet: vote on a proposal and execute it in the Governance view.")
            return
        if not self.session.connected:
            self._say("connect an account first (left-hand panel).")
            return
        try:  # fresh: a view listed before the account connected says it is no member
            task = self.session.task(int(task_id))
        except ConfigurationError as error:
            self._say(str(error))
            return
        self._tasks[task.task_id] = task
        if not task.is_member:
            self._say(f"this account is not a member of task {task.task_id}.")
            return
        self.task_id = task.task_id
        self._task_info.object = self._task_text(task)
        self._seen_version = -1
        self._set_buttons()
        self._say(f"joined task {task.task_id}")

    def _task_text(self, task: TaskView) -> str:
        fits = "your share of the demo data"
        try:
            data = self.session.training_data(task)
            if self.session.dataset is not None:
                fits = f"your dataset '{data.name}' ({len(data.y_train)} training rows) fits"
        except Exception as error:
            fits = f"**your dataset does not fit:** {sentence(error)}"
        return (
            f"**Task {task.task_id}**: {task.title}; model {task.spec.kind}, "
            f"{task.spec.parameter_count} parameters in {task.n_chunks} proven chunks; "
            f"{len(task.members)} members; round {task.current_round} of {task.rounds}.  \n"
            f"**Data**: {fits}."
        )

    def _on_start(self, event: param.parameterized.Event) -> None:
        del event
        if not self.task_id:
            return
        task_id, dropout = self.task_id, bool(self._dropout.value)
        self._bar.bar_color = "success"
        self._start_job(
            f"round of task {task_id}: train → quantise → prove → submit",
            lambda report: self.session.run_round(task_id, report, dropout),
            lambda result: self._say(
                f"round {result.round}: gas {result.gas:,} (the transactions this page sent), "
                f"proofs {result.prove_seconds:.1f} s"
                + (f", model {result.model_cid}" if result.model_cid else "")
            ),
        )

    def _on_reveal(self, event: param.parameterized.Event) -> None:
        del event
        task_id = self.task_id
        self._start_job(
            "removing masks of dropped neighbours",
            lambda report: self.session.reveal(task_id, report),
            self._say,
        )

    def _on_finalize(self, event: param.parameterized.Event) -> None:
        del event
        task_id = self.task_id
        self._start_job(
            "finalizing the round",
            lambda report: self.session.finalize(task_id, report),
            self._say,
        )

    def _stage_text(self) -> str:
        current = self.stage if self.stage in STAGES else ""
        parts = [f"**{s}**" if s == current else s for s in STAGES]
        return "Stages: " + " → ".join(parts) + (" · done" if self.stage == "done" else "")

    @staticmethod
    def _round_text(view: RoundView) -> str:
        when = describe_deadline(view.submission_deadline, view.chain_time)
        deadline = (
            f"submissions close {when} (chain clock)"
            if view.submission_deadline >= view.chain_time
            else f"submissions closed {when} (chain clock)"
        )
        lines = [
            f"**Task {view.task_id}, round {view.round}: {view.status}** · {deadline} · "
            f"{view.submitted} of {len(view.members)} members submitted",
            "",
            "| member | chunks | masks removed | state |",
            "| --- | --- | --- | --- |",
        ]
        for m in view.members:
            state = (
                "dropped"
                if m.dropped
                else "submitted"
                if m.chunks == view.n_chunks
                else f"submitting ({m.chunks}/{view.n_chunks})"
                if m.chunks
                else "waiting"
            )
            lines.append(f"| {m.label} | {m.chunks}/{view.n_chunks} | {m.reveals} | {state} |")
        dropouts = ", ".join(view.dropouts) or "none"
        lines += [
            "",
            f"**Dropouts** {dropouts} · **Recovery** {view.reveals} masks removed · "
            f"**Finalized model** {('`' + view.model_cid + '`') if view.model_cid else '—'}",
        ]
        return "\n".join(lines)

    # --- history view ----------------------------------------------------------------------------

    def _show_history(self, rows: list[HistoryRow]) -> None:
        if not rows:
            return
        self._source.data = {
            "round": [r.round for r in rows],
            "accuracy": [100 * r.accuracy for r in rows],
            "loss": [r.loss for r in rows],
        }
        self._plot.x_range.start = 0.5
        self._plot.x_range.end = max(r.round for r in rows) + 0.5
        top = max((r.loss for r in rows if math.isfinite(r.loss)), default=1.0)
        self._plot.extra_y_ranges["loss"].end = max(1.0, 1.1 * top)
        lines = [
            "| round | accuracy | loss | gas (every member's transactions) | proof time "
            "| global model CID | verify-round |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows:
            proof = f"{r.prove_seconds:.1f} s" if math.isfinite(r.prove_seconds) else "—"
            lines.append(
                f"| {r.round} | {100 * r.accuracy:.1f} % | {r.loss:.3f} | {r.gas:,} | {proof} "
                f"| `{short(r.model_cid, 12)}` | {r.verified} |"
            )
        lines += [
            "",
            "*Gas counts every transaction of the round, by every member (submissions, mask "
            "removals, finalizing); the log's gas after a round counts the transactions this page "
            "sent.*",
        ]
        self._history.object = "\n".join(lines)


def _other_tab(running: RunningRound | None) -> str:
    task = f" (task {running.task_id})" if running is not None else ""
    return (
        "A round is already running for you (started in another tab); its progress shows "
        f"here until it ends{task}."
    )


def _cannot_carry(p: ProposalView) -> bool:
    """Whether enough members voted against an open proposal that it can no longer carry."""
    return p.state == "active" and p.electorate - p.against_votes < p.majority


def _membership_text(p: ProposalView) -> str:
    """A membership proposal's card."""
    verb = "adds" if p.kind == "add" else "removes"
    return (
        f"#### Proposal {p.proposal_id}: {p.title}\n"
        f"**State** {p.state} · **Tally** {p.for_votes} for, {p.against_votes} against, "
        f"{p.majority} of {p.electorate} needed"
        + (" · you voted" if p.voted else "")
        + f" · **Outcome** {_outcome(p)}  \n"
        f"**Membership** executing it {verb} `{p.account}`; a new member then registers its "
        "masking keys and takes part in the tasks created after it joined."
        + (
            "  \n*No vote buttons: enough members voted against that it cannot carry.*"
            if _cannot_carry(p)
            else ""
        )
    )


def _outcome(p: ProposalView) -> str:
    """What the tally means for a proposal."""
    if p.state == "executed":
        return f"carried and executed: task {p.task_id}" if p.task_id else "carried and executed"
    if p.state == "succeeded":
        return "carried; any member may execute it"
    if p.state == "defeated":
        return "defeated: the voting period ended without a majority"
    if p.electorate - p.against_votes < p.majority:
        return f"cannot carry: {p.against_votes} of {p.electorate} voted against"
    missing = p.majority - p.for_votes
    return f"needs {missing} more vote{'s' if missing > 1 else ''} for"


_CARD = {"border": "1px solid #d0d7de", "border-radius": "6px", "padding": "4px 12px"}


class SecureCookies(OutputTransform):
    """Mark every cookie the server sets Secure and HttpOnly (the app is served over TLS).

    Tornado adds a response's cookies after its output transforms ran, so the transform wraps
    the connection's header writer instead (once per connection).
    """

    def __init__(self, request: HTTPServerRequest) -> None:
        super().__init__(request)
        connection: Any = request.connection
        if connection is None or getattr(connection, "_zkfed_secure_cookies", False):
            return
        write_headers = connection.write_headers

        def secured(start_line: Any, headers: HTTPHeaders, chunk: Any = None) -> Any:
            cookies = headers.get_list("Set-Cookie")
            if cookies:
                del headers["Set-Cookie"]
                for cookie in cookies:
                    flags = cookie.lower()
                    cookie += "" if "; secure" in flags else "; Secure"
                    cookie += "" if "; httponly" in flags else "; HttpOnly"
                    headers.add("Set-Cookie", cookie)
            return write_headers(start_line, headers, chunk)

        connection.write_headers = secured
        connection._zkfed_secure_cookies = True


LOGIN_TEMPLATE = Path(__file__).resolve().parent / "templates" / "login.html"
"""zkfed's login page: says what it guards and what to enter, and loads nothing off-machine."""
LOGOUT_TEMPLATE = LOGIN_TEMPLATE.with_name("logout.html")


def websocket_limit(upload_bytes: int = MAX_UPLOAD_BYTES) -> int:
    """Largest websocket message the server must take for an upload of `upload_bytes`.

    The browser sends a file base64-encoded (4 bytes for every 3) inside a JSON patch.
    """
    return 4 * math.ceil(upload_bytes / 3) + 2**20


def serve(
    settings: Settings,
    *,
    address: str = "127.0.0.1",
    port: int = 5006,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    basic_auth: str | dict[str, str] | None = None,
    cookie_secret: str | None = None,
    allow_websocket_origin: list[str] | None = None,
    show: bool = False,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the app until interrupted (the `zkfed ui` command).

    The consortium connects here, on the main thread, before the first page is served.
    `basic_auth` is a password (any user name) or a mapping of user names to passwords;
    `announce` is called with the page's address once the server listens.

    Raises
    ------
    ConfigurationError
        When the port is taken.
    """
    consortium = shared_consortium(settings)
    origins = allow_websocket_origin or [f"{address}:{port}", f"localhost:{port}"]
    extra: dict[str, Any] = {}
    if ssl_certfile:
        extra.update(ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, transforms=[SecureCookies])
    if basic_auth:
        extra.update(
            basic_auth=basic_auth,
            cookie_secret=cookie_secret or secrets.token_hex(32),
            basic_login_template=str(LOGIN_TEMPLATE),
            logout_template=str(LOGOUT_TEMPLATE),
        )
    logout = bool(basic_auth)
    try:
        server = pn.serve(
            {"/": lambda: App(consortium, logout=logout).__panel__()},
            address=address,
            port=port,
            show=False,
            start=False,
            verbose=False,
            title="zkfed",
            websocket_origin=origins,
            websocket_max_message_size=websocket_limit(),
            **extra,
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"Port {port} on {address} is already in use; choose another with --port."
            ) from None
        raise
    scheme = "https" if ssl_certfile else "http"
    url = f"{scheme}://{address}:{server.port}/"
    if announce is not None:
        announce(url)
    if show:
        server.show("/")
    server.start()
    server.io_loop.start()


if pn.state.served:
    App().servable()
elif __name__ == "__main__":
    serve(Settings.from_env())
