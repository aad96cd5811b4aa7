"""Where batch tasks run: in this process, or on Dask distributed (futures API).

The interface is small on purpose, the part of ``concurrent.futures`` / Dask's futures
that a batch needs: ``submit(key, fn, *args)`` returns a handle; an argument may be a
handle (or a list of them), replaced by that task's result before ``fn`` runs, and a
task whose input failed fails with the same error; ``as_completed`` yields handles as
they finish; ``outcome`` says how one ended. Tasks are plain module-level functions
(:mod:`atlas.batch.tasks`) running Polars inside; nothing here uses ``dask.dataframe``.

* :class:`LocalExecutor` runs each task in this process when asked for results, in the
  order submitted: the reference that a cluster run must equal byte for byte.
* :class:`DaskExecutor` runs them on a Dask cluster: a new ``LocalCluster`` of worker
  processes bound to 127.0.0.1 (nothing listens beyond this machine), or an existing
  scheduler (``dask scheduler`` / ``dask worker`` on the force's machines) by address.
  Dask is an optional extra (``pip install atlas-stalking[cluster]``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from atlas.batch import code  # the digest of the source as this process imported it, before any task is sent
from atlas.errors import AtlasError


class Executor(Protocol):
    name: str
    dashboard: str | None

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> Any: ...

    def as_completed(self, handles: Iterable[Any]) -> Iterator[Any]: ...

    def outcome(self, handle: Any) -> tuple[bool, Any]:
        """(True, result) or (False, the exception)."""
        ...

    def close(self) -> None: ...


@dataclass
class _LocalTask:
    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    done: bool = False
    ok: bool = False
    value: Any = None
    inputs: list[_LocalTask] = field(default_factory=list)


class LocalExecutor:
    """Tasks run here, one after another in the order submitted (dependencies come first)."""

    name = "local"
    dashboard: str | None = None

    def __init__(self) -> None:
        self.tasks: list[_LocalTask] = []

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> _LocalTask:
        task = _LocalTask(key, fn, args)
        self.tasks.append(task)
        return task

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, _LocalTask):
            self._run(value)
            if not value.ok:
                raise value.value
            return value.value
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    def _run(self, task: _LocalTask) -> None:
        if task.done:
            return
        try:
            task.value = task.fn(*(self._resolve(a) for a in task.args))
            task.ok = True
        except Exception as exc:  # a failed task is an outcome (its case fails; the others go on)
            task.value, task.ok = exc, False
        task.done = True

    def as_completed(self, handles: Iterable[_LocalTask]) -> Iterator[_LocalTask]:
        for task in handles:
            self._run(task)
            yield task

    def outcome(self, handle: _LocalTask) -> tuple[bool, Any]:
        self._run(handle)
        return handle.ok, handle.value

    def close(self) -> None:
        self.tasks.clear()


class DaskExecutor:
    """Tasks run on Dask distributed: a new local cluster, or the scheduler at ``address``."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise AtlasError("--engine dask needs Dask distributed: pip install 'atlas-stalking[cluster]'") from exc
        self.cluster: Any = None
        try:
            if address:
                self.client = Client(address, timeout="20s")
            else:
                n = workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                            dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
                self.client = Client(self.cluster)
        except OSError as exc:
            raise AtlasError(f"cannot reach the Dask scheduler {address or '(local cluster)'}: {exc}") from exc
        self.dashboard: str | None = self.client.dashboard_link

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a worker, refused there unless the worker runs this process's code (:mod:`atlas.batch.code`)."""
        return self.client.submit(code.checked, code.LOADED, fn, *args, key=key, pure=False, retries=0)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        yield from as_completed(list(handles))

    def outcome(self, handle: Any) -> tuple[bool, Any]:
        if handle.status == "finished":
            return True, handle.result()
        return False, handle.exception()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(engine: str, address: str | None = None, workers: int | None = None) -> Executor:
    if engine == "local":
        if address:
            raise AtlasError("--address is for --engine dask (an existing Dask scheduler)")
        return LocalExecutor()
    if engine == "dask":
        return DaskExecutor(address, workers)
    raise AtlasError(f"unknown engine {engine!r} (local or dask)")
