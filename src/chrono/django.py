"""Django support: a test runner that tells failing tests' stories, and a per-request story.

- ``TEST_RUNNER = "chrono.django.ChronoDiscoverRunner"``: ``manage.py test`` as usual (serial,
  ``--parallel``, ``--pdb``, ``--debug-sql``, ``--buffer``, ``--failfast``), with each failing
  test's story at the end of its report.
- ``"chrono.django.ChronoMiddleware"`` (first in ``MIDDLEWARE``): each request collects its own
  story; when the view raises, the story is logged through the ``chrono`` logger at ERROR.

The runner lives in a private module that is imported only when the runner is asked for, so
that the middleware does not pull Django's test machinery into a production process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import MiddlewareNotUsed  # type: ignore[import-untyped]

from chrono._errors import swallowed
from chrono._logs import OWN_LOGGER
from chrono._story import Scope, Story
from chrono._switch import is_enabled

if TYPE_CHECKING:
    from chrono._django_runner import ChronoDiscoverRunner, ChronoParallelTestSuite

__all__ = ["ChronoDiscoverRunner", "ChronoMiddleware", "ChronoParallelTestSuite"]

logger = logging.getLogger(OWN_LOGGER)

#: The request attribute where process_exception leaves what the view raised.
_RAISED_ATTRIBUTE = "_chrono_raised"


class ChronoMiddleware:
    """One story per request; when the view raises, the story is logged at ERROR.

    The story collects only the events of its own request (a context story), so concurrent
    requests, in threads or asyncio tasks, never mix. When a view raises an exception that ends
    in a server error, the story goes to the ``chrono`` logger at ERROR, with the message
    ``"<METHOD> <path> raised <ExceptionType>; chrono story:"`` followed by the story's text,
    and the ``Story`` itself as ``record.chrono_story``. Any other request logs nothing (that
    includes ``Http404`` and ``PermissionDenied``, which Django answers with a 4xx), and its
    story is dropped. The exception is not touched: Django handles it as it would without the
    middleware.

    Put it first in ``MIDDLEWARE`` so the story covers the other middleware too. It works in
    sync (WSGI) and async (ASGI) stacks. Whether chrono is on is decided once, when Django builds
    its middleware chain: with chrono disabled (``CHRONO=off``), the middleware removes itself
    (``MiddlewareNotUsed``) and costs nothing per request.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        if not is_enabled():
            raise MiddlewareNotUsed("chrono is disabled")
        self.get_response = get_response
        self._async_mode = iscoroutinefunction(get_response)
        if self._async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self._async_mode:
            return self._call_async(request)
        story = self._start_story(request)
        error: BaseException | None = None
        try:
            response = self.get_response(request)
            error = self._server_error(request, response)
        except BaseException as raised:
            error = raised
            raise
        finally:
            # Also on KeyboardInterrupt, or a cancelled task's CancelledError.
            self._finish(request, story, error)
        return response

    async def _call_async(self, request: Any) -> Any:
        story = self._start_story(request)
        error: BaseException | None = None
        try:
            response = await self.get_response(request)
            error = self._server_error(request, response)
        except BaseException as raised:
            error = raised
            raise
        finally:
            # Also on KeyboardInterrupt, or a cancelled task's CancelledError.
            self._finish(request, story, error)
        return response

    def process_exception(self, request: Any, exception: Exception) -> None:
        """Note what the view raised; Django then handles the exception as usual."""
        # The story is logged once the response is back in __call__, so that it also holds
        # what happened afterwards (other middleware, Django's own "Internal Server Error").
        setattr(request, _RAISED_ATTRIBUTE, exception)

    def _start_story(self, request: Any) -> Story:
        # Inside the request, chrono.current_story() is this story.
        story = Story(
            f"{request.method} {request.path}", scope=Scope.CONTEXT, attach_to_exceptions=False
        )
        return story.start()

    @staticmethod
    def _server_error(request: Any, response: Any) -> Exception | None:
        """What the view raised, if Django answered it with a server error."""
        raised: Exception | None = getattr(request, _RAISED_ATTRIBUTE, None)
        # Http404, PermissionDenied and the like are how a view answers a client: Django turns
        # them into 4xx responses, and only a server error is worth a story in the logs.
        if raised is not None and getattr(response, "status_code", 500) >= 500:
            return raised
        return None

    def _finish(self, request: Any, story: Story, error: BaseException | None) -> None:
        story.stop(error)
        if isinstance(error, Exception):
            self._tell(request, story, error)

    def _tell(self, request: Any, story: Story, error: Exception) -> None:
        if not logger.isEnabledFor(logging.ERROR):
            return
        try:
            text = story.text()
        except Exception as failure:
            # Telling the story must never change how the request ends.
            if not swallowed(failure):
                raise
            return
        logger.error(
            "%s %s raised %s; chrono story:\n%s",
            request.method,
            request.path,
            type(error).__name__,
            text,
            extra={"chrono_story": story},
        )


def __getattr__(name: str) -> Any:
    # The test runner imports django.test.runner (and unittest, multiprocessing): load it only
    # when settings.TEST_RUNNER or an import asks for it.
    if name in ("ChronoDiscoverRunner", "ChronoParallelTestSuite"):
        from chrono import _django_runner

        return getattr(_django_runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
