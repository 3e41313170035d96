"""The ports a sandbox environment file is given (`reporting.sandbox_runs.on_free_ports`): free, all
different, and outside the system's ephemeral range, from which every outgoing connection of a run takes a
port (a strength run starts sandboxes four at a time while thousands of connections come and go)."""

from __future__ import annotations

import socket
import threading

from reporting.sandbox_runs import LISTENING_PORTS_FROM, _ephemeral_ports_from, _free_ports


def test_the_ports_chosen_are_different_free_and_below_the_ephemeral_range() -> None:
    ports = _free_ports(40)
    assert len(set(ports)) == 40
    assert all(LISTENING_PORTS_FROM <= port < _ephemeral_ports_from() for port in ports)
    for port in ports:  # each is free: a server can listen there now
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))


def test_a_port_something_listens_on_is_never_chosen(monkeypatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        monkeypatch.setattr("reporting.sandbox_runs.LISTENING_PORTS_FROM", taken)
        monkeypatch.setattr("reporting.sandbox_runs._ephemeral_ports_from", lambda: taken + 60)
        assert taken not in _free_ports(5)


def test_a_port_handed_out_is_not_handed_out_again_though_threads_ask_at_once() -> None:
    """A strength run hands out ports from four threads while earlier sandboxes have not yet bound theirs: a
    port this process handed out lately is never drawn again, whoever asks."""
    handed: list[int] = []

    def ask() -> None:
        for _ in range(25):
            handed.extend(_free_ports(10))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(handed) == 1000 and len(set(handed)) == 1000
