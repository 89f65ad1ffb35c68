"""Ray, when the ``ray`` extra is installed: joining a cluster, and an ordered pool of stateful actors.

The batch runners (``ranking.search.bulk_ray``, ``indexer.encoder_ray``) compute on Ray and keep
every durable decision on the driver: workers return results, the driver takes each one exactly
once, in submission order, and alone writes files. A worker whose process dies (SIGKILL, OOM, a lost
node) is restarted by Ray, which runs its constructor again (the engine or model is loaded once per
actor, not per task) and retries the tasks it held; a task whose actor is gone for good is resubmitted
to a fresh actor. A task may therefore run more than once, so tasks must be pure functions of their
input: the driver keeps the first result of each and nothing a worker does is visible outside it.

``ray`` is imported only here and only when a Ray runner is chosen; without it,
:func:`import_ray` raises ``MissingDependencyError`` naming the extra.
"""
from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from records.errors import BackendUnavailableError, MissingDependencyError, TalentSearchError, ValidationError

EXTRA = "ray"
ACTOR_PREFIX = "talentsearch-"          # named actors: ``talentsearch-<pool>-<run>-<n>``


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None    # "host:port" of a running cluster; None: $RAY_ADDRESS, else a local Ray for this run
    actors: int | None = None     # pool size; None: as many as the cluster's CPUs (and GPUs) hold, at least 1
    cpus_per_actor: float = 1.0   # CPUs each actor reserves (and the threads its encoder uses)
    gpus_per_actor: float = 0.0   # GPUs each actor reserves (Ray hides the GPUs from actors that reserve none)
    in_flight: int = 2            # tasks queued per actor, so none waits while the driver commits
    max_restarts: int = 4         # restarts of an actor whose process died (Ray retries its tasks)
    max_attempts: int = 4         # submissions of one task to fresh actors before the job fails
    start_timeout_s: float = 300  # how long the pool waits for its actors to be placed and loaded

    def __post_init__(self) -> None:
        if self.actors is not None and self.actors < 1:
            raise ValidationError(f"Ray actors must be >= 1, not {self.actors}")
        if self.cpus_per_actor <= 0 or self.gpus_per_actor < 0:
            raise ValidationError(f"Ray CPUs per actor must be > 0 and GPUs >= 0, not {self.cpus_per_actor} "
                                  f"and {self.gpus_per_actor}")
        if self.in_flight < 1 or self.max_attempts < 1 or self.max_restarts < 0:
            raise ValidationError("Ray in_flight and max_attempts must be >= 1, max_restarts >= 0")

    @property
    def threads(self) -> int:
        """CPU threads a model inside one actor should use."""
        return max(1, int(self.cpus_per_actor))


def import_ray():
    """The ``ray`` module, or ``MissingDependencyError`` naming the ``ray`` extra."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise MissingDependencyError("ray", EXTRA) from None


@contextlib.contextmanager
def connected(options: RayOptions) -> Iterator[object]:
    """Ray, initialised for the block: joins ``options.address`` (or ``$RAY_ADDRESS``), else starts a
    local Ray on this machine; disconnects (and stops a local Ray) afterwards. An already initialised
    Ray (a caller's own ``ray.init``) is used as it is and left running."""
    ray, started = ensure_connected(options)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def ensure_connected(options: RayOptions) -> tuple[object, bool]:
    """(ray, whether this call initialised it): Ray joined or started as ``connected`` does, for a caller
    that stays connected (a server); an initialised Ray is used as it is."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    _reachable(options.address or os.environ.get("RAY_ADDRESS"))
    try:
        # configure_logging=False: the CLI owns logging handlers; Ray's loggers propagate to them
        ray.init(address=options.address, include_dashboard=False, configure_logging=False)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        where = options.address or os.environ.get("RAY_ADDRESS") or "a local Ray"
        raise BackendUnavailableError(f"Ray: cannot connect to {where}: {exc}") from None
    return ray, True


def _reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (``ray.init`` would retry it for minutes)."""
    if not address or "://" in address or ":" not in address:      # local, auto, ray://: Ray's own checks
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except ValueError:
        raise ValidationError(f"Ray address {address!r}: expected HOST:PORT") from None
    except OSError as exc:
        raise BackendUnavailableError(f"Ray: no cluster answers at {address} ({exc.strerror or exc}); start one with "
                                      "`ray start --head` or leave the address unset for a local Ray") from None


class _Worker:
    """The one actor class: holds the object ``build()`` returns (an engine, an encoder) for its lifetime.

    A constructor error is kept and raised by ``ready`` so the driver can report it as the error it
    is (a missing index is a NotFoundError, not a dead actor)."""

    def __init__(self, build: Callable[[], object]):
        self._error: BaseException | None = None
        self._obj = None
        try:
            self._obj = build()
        except Exception as exc:       # reported by ready(): the actor must stay up to say why
            self._error = exc

    def ready(self) -> int:
        if self._error is not None:
            raise self._error
        return os.getpid()

    def pid(self) -> int:
        return os.getpid()

    def run(self, method: str, item):
        if self._error is not None:
            raise self._error
        return getattr(self._obj, method)(item)


class ActorPool:
    """``size`` actors of ``build()`` (each loads its engine or model once), mapping tasks in order.

    Use as a context manager: the actors are killed on exit. ``map`` keeps at most
    ``size * in_flight`` tasks submitted or finished-but-not-yet-taken, so memory stays bounded
    whatever the input's length."""

    def __init__(self, build: Callable[[], object], options: RayOptions, *, name: str):
        self._ray = ray = import_ray()
        if not ray.is_initialized():
            raise BackendUnavailableError("Ray is not initialised: run the pool inside records.raypool.connected()")
        self.options = options
        resources = ray.cluster_resources()
        fits = resources.get("CPU", 1.0) // options.cpus_per_actor
        if options.gpus_per_actor:
            fits = min(fits, resources.get("GPU", 0.0) // options.gpus_per_actor)
        self.size = options.actors or max(1, int(fits))
        self._cls = ray.remote(num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor,
                               max_restarts=options.max_restarts, max_task_retries=options.max_restarts)(_Worker)
        self._build = build
        self.name = f"{ACTOR_PREFIX}{name}-{uuid.uuid4().hex[:8]}"
        self._serial = itertools.count()
        self.replaced = 0                    # actors given up on by Ray and replaced by the pool
        self._actors = [self._spawn() for _ in range(self.size)]
        self._generation = [0] * self.size
        try:
            self._get([a.ready.remote() for a in self._actors], timeout=options.start_timeout_s)
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise BackendUnavailableError(
                f"Ray: {self.size} actors of {options.cpus_per_actor:g} CPU(s) and {options.gpus_per_actor:g} GPU(s) "
                f"were not all up after {options.start_timeout_s:g} s (the cluster has {resources.get('CPU', 0):g} "
                f"CPUs and {resources.get('GPU', 0):g} GPUs): ask for fewer actors") from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "ActorPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for actor in self._actors:
            with contextlib.suppress(Exception):
                self._ray.kill(actor, no_restart=True)
        self._actors = []

    def pids(self) -> list[int]:
        """The process id of each actor (for operators and tests: SIGKILL one to see the job survive)."""
        return self._get([a.pid.remote() for a in self._actors])

    def map(self, method: str, items: Iterable) -> Iterator:
        """``build().<method>(item)`` for each item, on the actors; results in the order of ``items``,
        each exactly once. A task error is raised here (a ``TalentSearchError`` as itself)."""
        ray = self._ray
        items = iter(items)
        window = self.size * self.options.in_flight
        inflight: dict = {}                  # ref -> (seq, item, actor index, generation, attempts)
        load = [0] * self.size
        done: dict[int, object] = {}
        submitted = taken = 0
        exhausted = False

        def submit(seq: int, item, attempts: int) -> None:
            i = min(range(self.size), key=load.__getitem__)
            inflight[self._actors[i].run.remote(method, item)] = (seq, item, i, self._generation[i], attempts)
            load[i] += 1

        while True:
            while not exhausted and len(inflight) + len(done) < window:
                try:
                    item = next(items)
                except StopIteration:
                    exhausted = True
                    break
                submit(submitted, item, 1)
                submitted += 1
            if taken in done:
                yield done.pop(taken)
                taken += 1
                continue
            if not inflight:
                return
            [ref], _ = ray.wait(list(inflight), num_returns=1)
            seq, item, i, generation, attempts = inflight.pop(ref)
            load[i] -= 1
            try:
                done[seq] = self._get(ref)
            except ray.exceptions.RayActorError as exc:
                # Ray restarts a killed actor and retries its tasks by itself; this is an actor it gave up on
                if attempts >= self.options.max_attempts:
                    raise BackendUnavailableError(f"Ray: task {seq} of {self.name} failed {attempts} times: {exc}") from None
                if generation == self._generation[i]:
                    self._replace(i)
                submit(seq, item, attempts + 1)

    # ---- internals ---------------------------------------------------------------------------------
    def _spawn(self):
        return self._cls.options(name=f"{self.name}-{next(self._serial)}").remote(self._build)

    def _replace(self, i: int) -> None:
        with contextlib.suppress(Exception):
            self._ray.kill(self._actors[i], no_restart=True)
        self._actors[i] = self._spawn()
        self._generation[i] += 1
        self.replaced += 1

    def _get(self, refs, timeout: float | None = None):
        """``ray.get`` that raises a worker's ``TalentSearchError`` as itself (the CLI reports those)."""
        ray = self._ray
        try:
            return ray.get(refs, timeout=timeout)
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, TalentSearchError):
                raise exc.cause from None
            raise


__all__ = ["ACTOR_PREFIX", "ActorPool", "EXTRA", "RayOptions", "connected", "ensure_connected", "import_ray"]
