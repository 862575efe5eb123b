"""The upload transport's HTTP/1.1 channel: every framing a server may use, and refusals.

Real sockets (a connected pair): the server side writes the bytes, then closes when
the case needs it.
"""

from __future__ import annotations

import socket

import pytest

from bridge.cloud import http11


def _answer(raw: bytes, *, close: bool = True, method: str = "GET") -> http11.Answer:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(10)
        channel = http11.Channel(ours)
        for part in channel.request(method, "/", [(b"Host", b"sc.example")], b""):
            ours.sendall(part)
        theirs.sendall(raw)
        if close:
            theirs.shutdown(socket.SHUT_WR)
        return channel.read()


def test_a_body_framed_by_its_length_leaves_the_connection_open():
    answer = _answer(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 7\r\n\r\n{\"a\":1}", close=False)
    assert (answer.status, answer.reason, answer.body, answer.will_close) == (
        201, b"Created", b'{"a":1}', False)
    assert answer.headers[0] == (b"Content-Type", b"application/json")


def test_a_chunked_body_is_joined_and_its_trailer_skipped():
    answer = _answer(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                     b"4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nx-trailer: y\r\n\r\n", close=False)
    assert answer.body == b'{"a":1}' and not answer.will_close


def test_a_body_without_framing_runs_to_the_end_of_the_connection():
    answer = _answer(b"HTTP/1.1 200 OK\r\n\r\nall of it")
    assert answer.body == b"all of it" and answer.will_close


def test_interim_answers_are_skipped():
    answer = _answer(b"HTTP/1.1 100 Continue\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", close=False)
    assert (answer.status, answer.body) == (200, b"{}")


def test_answers_without_a_body_read_none():
    assert _answer(b"HTTP/1.1 204 No Content\r\n\r\n", close=False).body == b""
    head = _answer(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", close=False,
                   method="HEAD")
    assert head.body == b"" and not head.will_close


def test_connection_close_and_http_1_0_end_the_connection():
    assert _answer(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                   close=False).will_close
    assert _answer(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", close=False).will_close


def test_a_connection_closed_before_any_answer_is_closed_not_garbled():
    with pytest.raises(http11.Closed):
        _answer(b"")
    assert issubclass(http11.Closed, ConnectionError)  # the transport retries it once


@pytest.mark.parametrize("raw", [
    b"garbage\r\n\r\n",
    b"HTTP/1.1 2000 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Len",
])
def test_an_unreadable_answer_is_a_protocol_error(raw):
    with pytest.raises(http11.ProtocolError):
        _answer(raw)


def test_a_head_longer_than_the_limit_is_refused():
    with pytest.raises(http11.ProtocolError):
        _answer(b"HTTP/1.1 200 OK\r\n" + b"x-pad: " + b"a" * (http11.MAX_HEAD + 10))


def test_two_exchanges_share_the_connection_and_a_request_is_written_as_one_head():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(10)
        theirs.settimeout(10)
        channel = http11.Channel(ours)
        for body in (b"{}", b"[1]"):
            head, rest = channel.request(
                "POST", "/a?b=1", [(b"Host", b"h:1"), (b"Content-Length", b"%d" % len(body))],
                body)
            assert head == (b"POST /a?b=1 HTTP/1.1\r\nHost: h:1\r\nContent-Length: "
                            b"%d\r\n\r\n" % len(body)) and rest == body
            ours.sendall(head + rest)
            assert theirs.recv(4096) == head + rest
            theirs.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
            answer = channel.read()
            assert (answer.status, answer.body, answer.will_close) == (201, b"ok", False)


def test_a_header_value_with_a_line_break_is_refused_naming_it():
    with socket.socket() as unconnected:
        channel = http11.Channel(unconnected)
    with pytest.raises(ValueError, match="Authorization"):
        channel.request("GET", "/", [(b"Host", b"h"), (b"Authorization", b"Bearer x\r\nEvil: 1")],
                        b"")
