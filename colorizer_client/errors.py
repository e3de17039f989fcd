"""What the client raises: the API's errors carry its stable code; the network's are TransportError."""

from __future__ import annotations


class ColorizerError(Exception):
    """Anything the client raises."""


class TransportError(ColorizerError):
    """No answer: the service could not be reached, or did not answer within the timeout."""


class ApiError(ColorizerError):
    """An error answer of the API: HTTP status, its stable `code` (e.g. invalid_parameter), the message.

    `parameter` names the bad parameter for invalid_parameter and hints_unsupported;
    `request_id` is what to quote when asking the operator about it.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        parameter: str | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.parameter = parameter
        self.retry_after_s = retry_after_s


class ServiceUnavailable(ApiError):
    """503: busy (its queue is full) or not_ready (the model is loading, or failed to load).

    Raised once the client's retries are spent; `retry_after_s` is the service's advice
    (None when waiting will not help, e.g. a model that failed to load).
    """
