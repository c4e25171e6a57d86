"""OAI-PMH harvesting that never loses a record: incremental, resumable, polite.

A harvest of one source walks its sets (or the whole repository), each set as a queue of date windows
(normally one: ``from`` = the last watermark minus a small overlap, open-ended), each window page by
page through `harvester.oai.pages.PageIterator` over sickle. Every page's records are written in one
store transaction together with the checkpoint that names the token after them, so ``kill -9`` at any
moment and a rerun continue from the last committed page. The watermark is the server's own
``responseDate`` of the first page, cut to the granularity Identify declares, saved when a set
completes.

What goes wrong, and what happens then:

- ``badResumptionToken`` (or a saved token past its expirationDate): the current window restarts;
- a page that is not well-formed: fetched again, recovered leniently only without losing a record,
  else quarantined under its URL and the source stops with the reason (the checkpoint stays);
- a page that keeps failing with 5xx while the server still answers Identify: the window's records are
  isolated by their datestamps (ListIdentifiers, then restricted ListRecords halved around the failures,
  GetRecord for what cannot be cut further; `harvester.oai.isolate`), so only the records the server
  fails on are quarantined, without paying the retry backoff at every level; they are fetched again on
  the next run;
- ``--full`` on a server with ``deletedRecord=no``: records no longer listed are marked deleted, unless
  the harvest listed nothing at all (a broken server must not delete a catalog).

    counts = harvest_oai(source, store, run_id, full=False)
    info = oai_status(store, source.id)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sickle import oaiexceptions

from harvester.errors import BadFeed, HarvestError
from harvester.oai.checkpoint import (
    DAY,
    SECONDS,
    Checkpoint,
    Window,
    granularity_key,
    load_checkpoint,
    load_watermarks,
    next_from,
    oai_status,
    parse_stamp,
    save_checkpoint,
    save_watermark,
    set_key,
    split_window,
    stats_key,
    watermark_from,
)
from harvester.oai.client import ClientStats, HarvestClient, MalformedPage, ServerFailure
from harvester.oai.commit import (
    PAGE_FILE,
    QUARANTINE_FILE,
    PreparedPage,
    apply_page,
    mark_unlisted_deleted,
    new_counts,
    prepare_page,
    quarantine_page,
)
from harvester.oai.isolate import isolate_window
from harvester.oai.pages import OAIProtocolError, Page, PageIterator, page_records
from harvester.oai.payload import PREFERRED_PREFIXES
from harvester.oai.workers import PageMapper
from harvester.settings import SourceConfig
from harvester.store import QuarantineKind, RecordStore

__all__ = ["OAIHarvest", "harvest_oai", "oai_status"]


def harvest_oai(
    source: SourceConfig,
    store: RecordStore,
    run_id: int,
    full: bool = False,
    client: HarvestClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Harvest one OAI-PMH source into the store; returns the run's counts (see `oai_commit.new_counts`)."""
    own = client is None
    harvest = OAIHarvest(source, store, run_id, full, client or HarvestClient(source, sleep=sleep))
    try:
        return harvest.run()
    finally:
        if own:
            harvest.client.session.close()


class OAIHarvest:
    """One run over one source (state in the checkpoint, figures in ``counts``)."""

    def __init__(self, source: SourceConfig, store: RecordStore, run_id: int, full: bool,
                 client: HarvestClient) -> None:
        self.source = source
        self.store = store
        self.run_id = run_id
        self.full = full
        self.client = client
        self.counts = new_counts()
        self.warnings: list[str] = []
        options = source.options
        self.overlap = float(options.overlap_seconds)
        self.max_restarts = options.max_window_restarts
        self.max_splits = options.max_splits
        self.min_window = float(options.min_window_seconds)
        self.max_empty = options.max_empty_pages
        self.prefix = ""
        self.earliest = "1900-01-01"
        self.list_retries = options.server_error_retries
        self.excerpt_bytes = source.limits.quarantine_excerpt_bytes  # what a quarantine entry keeps of its input
        self.window_ids: set[str] = set()  # identifiers stored from the current window's pages this run
        self.isolated: set[str] = set()  # identifiers quarantined this run because the server fails on them
        self.mapper = PageMapper(source, "", workers=options.workers, threshold=options.parallel_threshold)

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        started = time.time()
        status, error = "ok", ""
        checkpoint: Checkpoint | None = None
        try:
            identify = self._identify()
            self.prefix = self.source.metadata_prefix or self._discover_prefix()
            self.mapper.prefix = self.prefix
            checkpoint = self._start(identify)
            while checkpoint.set_index < max(1, len(checkpoint.sets)):
                if not checkpoint.windows:
                    self._open_set(checkpoint)
                self._harvest_window(checkpoint)
            self._finish(checkpoint)
            self._retry_isolated()
        except HarvestError as exc:
            status, error = "failed", str(exc)
            raise
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.mapper.close()
            self._save_stats(started, status, error, checkpoint)
        return self.counts

    def _identify(self) -> dict[str, str]:
        identify = self.client.identify()
        if self.store.get_state(granularity_key(self.source.id)) == DAY:  # the server refused seconds before
            identify["granularity"] = DAY
        return identify

    def _discover_prefix(self) -> str:
        return self.client.discover_prefix(PREFERRED_PREFIXES)

    def _start(self, identify: dict[str, str]) -> Checkpoint:
        """Resume a compatible checkpoint (a full one even on an incremental run), or start afresh."""
        saved = load_checkpoint(self.store, self.source.id)
        same = saved is not None and (saved.url, saved.prefix, saved.sets) == (
            self.source.url, self.prefix, list(self.source.sets))
        if saved is not None and same and (saved.full or not self.full):
            saved.runs.append(self.run_id)
            saved.server_now = identify["now"] or saved.server_now
            checkpoint = saved
        else:
            checkpoint = Checkpoint(
                url=self.source.url, prefix=self.prefix, sets=list(self.source.sets), full=self.full,
                granularity=identify["granularity"], deleted_record=identify["deleted_record"],
                runs=[self.run_id], server_now=identify["now"],
            )
        checkpoint.deleted_record = identify["deleted_record"]
        self.earliest = identify["earliest"]
        with self.store.transaction():
            save_checkpoint(self.store, self.source.id, checkpoint)
        return checkpoint

    def _open_set(self, cp: Checkpoint) -> None:
        mark = None if cp.full else load_watermarks(self.store, self.source.id).get(set_key(cp.current_set))
        start = None
        if mark:
            start = mark if cp.granularity == DAY else next_from(mark, cp.granularity, self.overlap)
        cp.windows = [Window(start, None)]
        cp.restart_window()

    # --- one window, page by page -------------------------------------------------------------------

    def _harvest_window(self, cp: Checkpoint) -> None:
        window = cp.windows[0]
        params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
        if cp.current_set is not None:
            params["set"] = cp.current_set
        if window.start:
            params["from"] = window.start
        if window.end:
            params["until"] = window.end
        if cp.token and _expired(cp.token_expires):
            self.warnings.append(f"saved resumption token expired ({cp.token_expires}); window restarted")
            cp.restart_window()
        try:
            with self.client.server_error_budget(self.list_retries):  # a 500 here leads to isolation
                self._walk(cp, PageIterator(self.client, params, token=cp.token, max_empty_pages=self.max_empty))
        except oaiexceptions.BadResumptionToken as exc:
            self._restart(cp, f"badResumptionToken ({exc})")
        except OAIProtocolError as exc:
            dated = "T" in params.get("from", "") + params.get("until", "")
            first_page = cp.token is None and cp.window_count == 0
            if not (exc.code == "badArgument" and cp.granularity == SECONDS and dated and first_page):
                raise
            self._fall_back_to_days(cp, exc)
        except ServerFailure as exc:
            if exc.status is None or exc.status < 500:
                raise
            self._split_or_isolate(cp, exc)
        except MalformedPage as exc:
            with self.store.transaction():
                quarantine_page(self.store, self.source.id, self.run_id, exc.url, str(exc), exc.raw, exc.size,
                                self.source.limits.quarantine_excerpt_bytes)
            self.counts["quarantined_pages"] += 1
            raise

    def _fall_back_to_days(self, cp: Checkpoint, exc: OAIProtocolError) -> None:
        """Identify promised seconds, the server refuses them (a common DSpace/EPrints slip): ask in days
        (the day granularity only widens the window; records seen twice are unchanged)."""
        self.warnings.append(f"{exc} for a seconds-granularity date; asking with day granularity instead")
        cp.granularity = DAY
        cp.windows = [Window(w.start[:10] if w.start else None, w.end[:10] if w.end else None)
                      for w in cp.windows]
        cp.restart_window()
        with self.store.transaction():
            self.store.set_state(granularity_key(self.source.id), DAY)
            save_checkpoint(self.store, self.source.id, cp)

    def _walk(self, cp: Checkpoint, pages: PageIterator) -> None:
        """Commit page after page; a page is mapped (in workers) while the next one is fetched, and
        always committed before an error about a later page propagates."""
        pending: tuple[Page, Callable[[], PreparedPage]] | None = None
        while True:
            try:
                page = next(pages, None)
            finally:
                if pending is not None:
                    self._commit(cp, pending[0], pending[1]())
                    pending = None
            if page is None:
                return
            pending = (page, self.mapper.submit(page.records))
            if not self.mapper.parallel(page.records):  # nothing to overlap: commit before fetching on
                self._commit(cp, page, pending[1]())
                pending = None

    def _commit(self, cp: Checkpoint, page: Page, prepared: PreparedPage) -> None:
        """Store a page and move the checkpoint past it, in one transaction."""
        with self.store.transaction():
            apply_page(self.store, self.source.id, self.run_id, prepared, self.counts,
                       self.excerpt_bytes)
            self.store.clear_quarantine(self.source.id, PAGE_FILE, [page.url])  # a page kept when broken, now fine
            if cp.pending_watermark is None:
                cp.pending_watermark = page.response_date or cp.server_now
            if page.sent_token is None:
                cp.window_size = page.complete_list_size
            cp.window_count += len(page.records)
            self.window_ids.update(r.identifier for r in page.records)
            cp.listed += prepared.live
            cp.pages += 1
            cp.token, cp.token_expires = page.token, page.expiration_date
            self.counts["pages"] += 1
            self.counts["recovered_pages"] += int(page.recovered)
            if page.token is None:
                self._close_window(cp)
            save_checkpoint(self.store, self.source.id, cp)

    def _close_window(self, cp: Checkpoint) -> None:
        if cp.window_size is not None and cp.window_count < cp.window_size:
            missing = cp.window_size - cp.window_count
            self.counts["shortfall"] += missing
            self.warnings.append(
                f"completeListSize shortfall: server announced {cp.window_size} records for window "
                f"{cp.windows[0].describe()} but listed {cp.window_count} ({missing} missing)"
            )
        cp.windows.pop(0)
        cp.restart_window()
        cp.window_restarts = 0
        self.window_ids.clear()
        if not cp.windows:
            if cp.pending_watermark:
                try:
                    mark = watermark_from(cp.pending_watermark, cp.granularity)
                except ValueError:
                    self.warnings.append(f"responseDate {cp.pending_watermark!r} unreadable: no watermark")
                else:
                    save_watermark(self.store, self.source.id, cp.current_set, mark)
            cp.pending_watermark = None
            cp.set_index += 1

    def _restart(self, cp: Checkpoint, why: str) -> None:
        cp.window_restarts += 1
        if cp.window_restarts > self.max_restarts:
            window = cp.windows[0].describe()
            raise BadFeed(f"{why}: window {window} restarted {self.max_restarts} times; giving up")
        self.warnings.append(f"{why}; restarting window {cp.windows[0].describe()}")
        cp.restart_window()
        with self.store.transaction():
            save_checkpoint(self.store, self.source.id, cp)

    # --- a window that keeps failing with 5xx -------------------------------------------------------

    def _split_or_isolate(self, cp: Checkpoint, failure: ServerFailure) -> None:
        """The server is up (Identify still answers): isolate the records it fails on by their
        datestamps (`harvester.oai.isolate`); when it cannot even list identifiers, halve the window."""
        try:
            self.client.harvest(verb="Identify")
        except ServerFailure:
            raise failure from None
        window = cp.windows[0]
        if isolate_window(self, cp, window, failure):
            return
        upper = cp.server_now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        halves = split_window(window, self.earliest, upper, cp.granularity, self.min_window)
        if halves is not None and self.counts["windows_split"] < self.max_splits:
            self.counts["windows_split"] += 1
            self.warnings.append(f"{failure}; splitting window {window.describe()}")
            cp.windows[0:1] = halves
            cp.restart_window()
            with self.store.transaction():
                save_checkpoint(self.store, self.source.id, cp)
            return
        self._isolate(cp, window, failure)

    def _isolate(self, cp: Checkpoint, window: Window, failure: ServerFailure) -> None:
        """List the small window's identifiers, fetch each record alone, quarantine the ones that fail."""
        params = {"verb": "ListIdentifiers", "metadataPrefix": self.prefix}
        if cp.current_set is not None:
            params["set"] = cp.current_set
        params.update({k: v for k, v in (("from", window.start), ("until", window.end)) if v})
        prepared = PreparedPage()
        try:
            headers = [r for page in PageIterator(self.client, params) for r in page.records]
        except (ServerFailure, MalformedPage) as exc:  # a proxy's HTML page is no listing either
            reason = f"window {window.describe()} fails with {failure}; ListIdentifiers failed too ({exc})"
            prepared.rejected.append((f"window {window.describe()}", reason, None))
            headers = []
        for header in headers:
            if header.deleted:
                prepared.deleted.extend(prepare_page(self.source, [header], self.prefix).deleted)
                continue
            try:
                page = self.client.harvest(verb="GetRecord", identifier=header.identifier,
                                           metadataPrefix=self.prefix)
            except (ServerFailure, MalformedPage) as exc:  # as `isolate._fetch_each`: one record lost, not the source
                reason = f"GetRecord failed ({exc}); isolated by splitting window {window.describe()}"
                prepared.failed.append((header.identifier, reason))
                continue
            one = prepare_page(self.source, page_records(page.xml, self.client.oai_namespace), self.prefix)
            prepared.incoming += one.incoming
            prepared.rejected += one.rejected
            prepared.skipped += one.skipped
        quarantined = len(prepared.rejected) + len(prepared.failed)
        self.warnings.append(f"isolated window {window.describe()}: {quarantined} quarantined")
        with self.store.transaction():
            apply_page(self.store, self.source.id, self.run_id, prepared, self.counts,
                       self.excerpt_bytes)
            cp.listed += prepared.live
            self._close_window(cp)
            save_checkpoint(self.store, self.source.id, cp)

    def _retry_isolated(self) -> None:
        """Fetch again the records an earlier run isolated because the server failed on them, so one bad
        record never stays missing just because the watermark has moved past it."""
        limit = self.source.options.retry_isolated
        failed = self.store.quarantined_positions(self.source.id, QUARANTINE_FILE, QuarantineKind.SERVER_FAILURE, limit)
        for identifier in failed:
            if identifier in self.isolated:  # failed minutes ago in this very run: next run
                continue
            try:
                with self.client.server_error_budget(1):
                    page = self.client.harvest(verb="GetRecord", identifier=identifier, metadataPrefix=self.prefix)
            except (ServerFailure, MalformedPage):
                continue
            records = page_records(page.xml, self.client.oai_namespace)
            prepared = prepare_page(self.source, records, self.prefix)
            with self.store.transaction():
                apply_page(self.store, self.source.id, self.run_id, prepared, self.counts,
                           self.excerpt_bytes)

    # --- the end --------------------------------------------------------------------------------------

    def _finish(self, cp: Checkpoint) -> None:
        with self.store.transaction():
            if cp.full and cp.deleted_record == "no":
                if cp.listed > 0:
                    self.counts["deleted"] += mark_unlisted_deleted(self.store, self.source.id, cp.runs)
                else:
                    self.warnings.append("full harvest listed no records: nothing marked deleted")
            save_checkpoint(self.store, self.source.id, None)

    def _save_stats(self, started: float, status: str, error: str, cp: Checkpoint | None) -> None:
        stats: ClientStats = self.client.stats
        self.counts["retries"] = stats.retries
        info: dict[str, Any] = {
            "run_id": self.run_id, "started": started, "finished": time.time(), "status": status,
            "error": error, "full": self.full, "prefix": self.prefix, "counts": dict(self.counts),
            "requests": stats.requests, "retries": stats.retries, "waited": round(stats.waited, 3),
            "errors": (stats.errors + self.warnings)[-50:],
            "granularity": cp.granularity if cp else "", "deleted_record": cp.deleted_record if cp else "",
        }
        with self.store.transaction():
            self.store.set_state(stats_key(self.source.id), info)


def _expired(expires: str | None) -> bool:
    if not expires:
        return False
    try:
        return parse_stamp(expires) <= datetime.now(UTC)
    except ValueError:
        return False
