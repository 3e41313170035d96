"""Hostile input (issue 5): whatever arrives at the DUIS web services, the sandbox never crashes, never
answers 5xx, and changes nothing unless it answers success; and it still answers the next valid
request correctly.

Every example starts from a valid, signed SRV 6.15.1 that would succeed (the wrong Network Operator
correcting its certificate with MP107 enabled): the Command Variant 4 request the Transform service
checks (`serviceT`), or the Command Variant 5 that carries its signed Pre-Command to Send Command
(`serviceS`). A CV 4 the DSP accepts is answered with a Pre-Command (which changes nothing) and is
taken on, as a User would, to its CV 5; a CV 5 the DSP accepts is answered I99 and its answer is
awaited at the Receive Response Service. So a mutation that is not caught changes a trust anchor and
shows up in the store's fingerprint; one the DSP accepted and the S1SP refused may have used up its
originator counter, and nothing else. Mutations are made on the bytes, on the signed tree (the
signature must catch them) and on the tree before signing with the right key (the deeper checks must
catch them)."""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from catalogue import DUIS_S1SP_COMMUNICATION, DUIS_SCHEMA, DUIS_SIGNATURE, clauses_named
from duis.precommand import sign_pre_command
from duis.requests import RequestID, ServiceRequest, request_header
from duis.responses import ServiceResponse
from duis.schema import PROJECT_ROOT, duis_schema
from duis.signature import sign, verify
from duis.srv import READ_INSTANTANEOUS_IMPORT_REGISTERS
from duis.xml import DS, parse, q, to_bytes
from support import test_data
from support.seeding import Installation
from tests.helpers import ca_der, enable_mp107, krp_request, simple_request, standard_installation
from user_system.client import NON_DEVICE_PATH, SERVICE_PATH, TRANSFORM_PATH

ANSWER_WAIT = 15.0
"""How long to wait for an answer the DSP acknowledged (I99) to be delivered (never asserted)."""

CHECK_EVERY = 10
"""Send a valid request after this many examples (and after every 4xx) to show the DSP still works."""

HOSTILE = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)

XML_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\t\n\r"), max_size=40
)
"""Any text lxml can put in an element (XML 1.0 characters)."""

INTERESTING_TEXT = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e3",
        "9" * 40,
        "18446744073709551616",
        "true",
        "false",
        "NetworkOperator",
        "Supplier",
        "ACB",
        "Root",
        "Recovery",
        "TransCoS",
        "6.15",
        "6.15.1",
        "6.21",
        "4.1.1",
        "5.1",
        "AAAA",
        "====",
        "not base64!",
        "90-B3-D5-1F-30-00-00-02",
        "90-b3-d5-1f-30-00-00-02",
        "90-B3-D5-1F-30-00-00-02:00-DB-12-34-56-78-90-A0:1",
        "::",
        "CN=Z1,OU=07",
        "<&>",
        "]]>",
        "\u00e9\u2603\U0001f600",
    ]
)
TEXT = XML_TEXT | INTERESTING_TEXT


@functools.cache
def _enumeration(simple_type: str) -> frozenset[str]:
    """The values DCC's DUIS XSD allows for one of its simple types."""
    duis_schema()  # extracts the XSD files
    xsd = etree.parse(str(PROJECT_ROOT / "reports" / ".cache" / "duis-xsd" / "duis.xsd"))
    path = "/xs:schema/xs:simpleType[@name=$name]/xs:restriction/xs:enumeration/@value"
    return frozenset(xsd.xpath(path, namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}, name=simple_type))


def names_a_duis_srv(body: bytes) -> bool:
    """The request's Header names a DUIS Service Reference and Variant (or one the sandbox knows), so
    the Response that echoes them can be valid DUIS."""
    _, srv = request_header(parse(body))
    return (
        srv is not None
        and srv.reference in _enumeration("ServiceReference")
        and srv.variant in _enumeration("ServiceReferenceVariant")
    )


@dataclass
class Final:
    """How a request ended: the deciding answer (the delivered one when the DSP acknowledged it) and its
    X-DUIS-Clause / X-DUIS-Reason, and the RequestID whose counter the DSP used up, if it accepted one."""

    response: ServiceResponse | None
    clause: str
    reason: str
    acknowledged: RequestID | None = None


@dataclass
class Target:
    """A wrong-certificate meter with MP107 on: Eastern wrongly holds the Network Operator certificate
    that Western (registered) should hold, so Eastern's 6.15.1 placing Western's would succeed."""

    sandbox: object
    control: object
    duis: object
    user_system: object
    cast: object
    inst: Installation
    ca: bytes
    examples: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"Target(esme={self.inst.esme}, examples={self.examples}, outcomes={self.outcomes})"

    def request(self, **overrides) -> ServiceRequest:
        """A fresh valid correction as the Transform service takes it (CV 4, its own counter), unsigned."""
        overrides.setdefault("certification_path", (self.ca,))
        overrides.setdefault("command_variant", 4)
        return krp_request(self.duis, self.control, self.cast.eastern, self.inst.esme, self.cast.western, **overrides)

    def signed_tree(self, request: ServiceRequest | None = None) -> etree._Element:
        """Signed as a User signs its DUIS envelopes: Eastern's XML-signing key and certificate."""
        identity = self.cast.eastern.identity
        return sign((request or self.request()).to_xml(), identity.key, identity.certificate)

    def signed_cv5(self) -> etree._Element:
        """A valid CV 5 for a fresh correction: its CV 4 sent to the Transform service (which changes
        nothing), the Pre-Command signed with Eastern's Digital Signing key, the CV 5 signed as a User."""
        request = self.request()
        pre_command = self._post(TRANSFORM_PATH, to_bytes(self.signed_tree(request)))
        response = ServiceResponse.from_xml(parse(pre_command.content))
        assert response.pre_command is not None, pre_command.headers.get("X-DUIS-Reason")
        signed = sign_pre_command(response.pre_command, self.cast.eastern.device_signing_key)
        return self.signed_tree(ServiceRequest(request.request_id, request.srv, 5, signed_pre_command=signed))

    def restore(self) -> None:
        """Put Eastern's certificates back, so the next example's correction would succeed again."""
        self.control.place_trust_anchor(
            self.inst.esme, "NetworkOperator", self.cast.eastern.ds_pem, self.cast.eastern.ka_pem
        )

    def assert_alive(self) -> None:
        """The DSP still answers a valid request correctly: a 4.1.1 read from the registered NO."""
        exchange = simple_request(self.duis, self.cast.western, self.inst.esme, READ_INSTANTANEOUS_IMPORT_REGISTERS)
        assert exchange.http_status == 200, exchange.reason
        assert exchange.response is not None and exchange.response.succeeded, exchange.reason

    def counters(self) -> dict[str, str]:
        return {r["originator"]: r["last_counter"] for r in self.sandbox.store.all("SELECT * FROM counters")}

    def state(self) -> dict[str, list[str]]:
        """Everything the fingerprint covers but the originator counters, table by table: what a request
        the DSP accepted (I99) and an S1SP then refused must leave as it was."""
        return self.sandbox.store.state(leave_out=frozenset({"counters"}))

    def _post(self, path: str, body: bytes, content_type: str = "application/xml") -> requests.Response:
        return self.duis.session.post(
            self.duis.dsp_url + path, data=body, headers={"Content-Type": content_type}, timeout=30
        )

    def _answer(self, body: bytes, reply: requests.Response) -> ServiceResponse | None:
        """Check one synchronous answer: no 5xx; a DUIS answer signed by the DSP (valid DUIS when the
        request named a DUIS SRV), or a plain-text 4xx. Counts what decided it."""
        assert reply.status_code < 500, reply.text
        assert reply.status_code in (200, 400, 413, 415), (reply.status_code, reply.text)
        if reply.status_code != 200:
            assert reply.headers["Content-Type"].startswith("text/plain")
            self.outcomes[f"HTTP {reply.status_code}"] = self.outcomes.get(f"HTTP {reply.status_code}", 0) + 1
            return None
        assert reply.headers["Content-Type"] == "application/xml"
        answer = parse(reply.content)
        verify(answer, self.sandbox.dsp_signer.certificate.certificate)
        if names_a_duis_srv(body):  # else there is no Service Reference a valid Response could echo
            schema = duis_schema()
            assert schema.validate(answer), (schema.error_log.last_error, reply.content)
        clause = reply.headers.get("X-DUIS-Clause", "")
        self.outcomes[clause] = self.outcomes.get(clause, 0) + 1
        return ServiceResponse.from_xml(answer)

    def _signer_of(self, request_id: str | None):
        """The cast member a RequestID names as its Business Originator (Eastern if none)."""
        originator = (request_id or "").split(":")[0]
        return next((o for o in vars(self.cast).values() if o.entity_id == originator and o.xml_pem), self.cast.eastern)

    def final(self, body: bytes, path: str, content_type: str = "application/xml") -> Final:
        """Post `body` and follow it as a User's system would: a Pre-Command is signed and sent on as CV 5,
        an I99 waited for at the Receive Response Service."""
        reply = self._post(path, body, content_type)
        response = self._answer(body, reply)
        clause, reason = reply.headers.get("X-DUIS-Clause", ""), reply.headers.get("X-DUIS-Reason", reply.text[:300])
        if response is not None and response.pre_command is not None:
            assert path == TRANSFORM_PATH and response.response_code == "I0", reason
            sender = self._signer_of(response.request_id)
            cv4 = ServiceRequest.from_xml(parse(body))
            cv5 = ServiceRequest(
                cv4.request_id, cv4.srv, 5, signed_pre_command=sign_pre_command(response.pre_command, sender.ds_key)
            )
            body = to_bytes(sign(cv5.to_xml(), sender.identity.key, sender.identity.certificate))
            reply = self._post(SERVICE_PATH, body)
            response = self._answer(body, reply)
            clause, reason = reply.headers.get("X-DUIS-Clause", ""), reply.headers.get("X-DUIS-Reason", "")
        if response is None or not response.is_acknowledgement:
            return Final(response, clause, reason)
        acknowledged = RequestID.parse(response.request_id or "")
        delivered = self.user_system.receiver.wait_for(
            str(acknowledged), lambda r: not r.response.is_acknowledgement, ANSWER_WAIT
        )
        verify(delivered.root, self.sandbox.dsp_signer.certificate.certificate)
        decided = f"delivered: {delivered.headers.get('X-DUIS-Clause', '')}"
        self.outcomes[decided] = self.outcomes.get(decided, 0) + 1
        return Final(
            delivered.response,
            delivered.headers.get("X-DUIS-Clause", ""),
            delivered.headers.get("X-DUIS-Reason", ""),
            acknowledged,
        )

    def send(self, body: bytes, content_type: str = "application/xml", path: str = TRANSFORM_PATH) -> None:
        """Post `body` (and follow it to its end) and check the invariants: no 5xx; DUIS answers signed
        by the DSP; the state unchanged unless the end is a success, but for the counter of a request
        the DSP acknowledged; still alive every few examples."""
        before, state, counters = self.sandbox.store.fingerprint(), self.state(), self.counters()
        final = self.final(body, path, content_type)
        # No fault is injected here: an S1SP that did not answer crashed on what the DSP passed on.
        assert DUIS_S1SP_COMMUNICATION not in clauses_named(final.clause), final.reason
        if final.response is not None and final.response.succeeded and final.response.pre_command is None:
            self.restore()  # a success legitimately changes state: put the wrong certificate back
        elif final.acknowledged is not None:  # accepted (I99), then refused: only its counter was used up
            assert self.state() == state, final.reason
            used = {final.acknowledged.originator: str(final.acknowledged.counter)}
            assert self.counters() == counters | used, final.reason
        else:
            assert self.sandbox.store.fingerprint() == before, final.reason
        self.examples += 1
        if final.response is None or self.examples % CHECK_EVERY == 0:
            self.assert_alive()


@pytest.fixture
def target(sandbox, control, duis, user_system, cast) -> Iterator[Target]:
    """Seeded once per test (hypothesis runs every example against it), checked alive at the end."""
    inst = standard_installation(control, cast, no_certificate_holder=cast.eastern)
    enable_mp107(control)
    t = Target(sandbox, control, duis, user_system, cast, inst, ca_der(control))
    first = duis.send(t.request(), cast.eastern)  # the unmutated request really does succeed
    assert first.response is not None and first.response.succeeded, first.reason
    t.restore()
    yield t
    t.assert_alive()


# --- (a) byte level -------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        b"<",
        b">",
        b"&",
        b"&amp;",
        b"&lt;",
        b"&#0;",
        b"&#x1F600;",
        b"]]>",
        b'"',
        b"'",
        b"\x00",
        b"\xff\xfe",
        b"\xc3",
        "\u00e9".encode(),
        b"<!-- c -->",
        b"<?pi x?>",
        b"<![CDATA[x]]>",
        b"<!DOCTYPE r [<!ENTITY a 'b'>]>",
        b"<sr:X/>",
        b"<ds:Signature/>",
        b" xmlns:x='urn:x'",
        b" ",
        b"\n",
    ]
)
BYTE_EDIT = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**16), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 2**16), st.binary(min_size=1, max_size=8) | FRAGMENTS),
    st.tuples(st.just("delete"), st.integers(0, 2**16), st.integers(1, 16)),
    st.tuples(st.just("truncate"), st.integers(0, 2**16), st.just(0)),
)


def edit_bytes(body: bytes, edits: list[tuple[str, int, object]]) -> bytes:
    data = bytearray(body)
    for kind, position, arg in edits:
        at = position % (len(data) + 1)
        if kind == "flip" and at < len(data):
            data[at] ^= arg
        elif kind == "insert":
            data[at:at] = arg
        elif kind == "delete":
            del data[at : at + arg]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


@HOSTILE
@given(edits=st.lists(BYTE_EDIT, min_size=1, max_size=4))
def test_byte_mutations_of_a_signed_request(target: Target, edits) -> None:
    target.send(edit_bytes(to_bytes(target.signed_tree()), edits))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(edits=st.lists(BYTE_EDIT, min_size=1, max_size=4))
def test_byte_mutations_of_a_signed_cv5(target: Target, edits) -> None:
    target.send(edit_bytes(to_bytes(target.signed_cv5()), edits), path=SERVICE_PATH)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(
    content_type=st.sampled_from(
        ["", "text/xml", "application/json", "application/xml; charset=utf-8", "APPLICATION/XML"]
    )
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).map(str.strip),
    body=st.sampled_from([b"", b" ", b"<Request/>", b"\x00" * 8]) | st.binary(max_size=64),
    path=st.sampled_from([TRANSFORM_PATH, SERVICE_PATH, NON_DEVICE_PATH]),
)
def test_what_is_not_duis_gets_a_4xx(target: Target, content_type: str, body: bytes, path: str) -> None:
    target.send(body, content_type, path)


# --- (b) the signed tree: the signature must catch a change ---------------------------------------

EDITS = ("drop", "text", "duplicate", "attribute")


def edit_tree(root: etree._Element, data: st.DataObject, include_signature: bool) -> str:
    """One edit of one element (or attribute) of `root`, drawn from `data`; says what it did."""
    elements = [
        e for e in root.iter() if isinstance(e.tag, str) and (include_signature or not e.tag.startswith(f"{{{DS}}}"))
    ]
    kind = data.draw(st.sampled_from(EDITS), label="edit")
    element = elements[data.draw(st.integers(0, len(elements) - 1), label="element")]
    where = etree.QName(element).localname
    parent = element.getparent()
    if kind == "drop" and parent is not None:
        parent.remove(element)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(element) + 1, copy.deepcopy(element))
    elif kind == "attribute":
        names = list(element.attrib) + ["schemaVersion", "Algorithm", "URI", "Id"]
        name = data.draw(st.sampled_from(names), label="attribute")
        value = data.draw(st.none() | TEXT, label="value")
        if value is None:
            element.attrib.pop(name, None)
        else:
            element.set(name, value)
    else:
        element.text = data.draw(TEXT, label="text")
    return f"{kind} {where}"


@HOSTILE
@given(data=st.data())
def test_edits_of_the_signed_tree_are_caught(target: Target, data: st.DataObject) -> None:
    root = target.signed_tree()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit_tree(root, data, include_signature=True)
    target.send(to_bytes(root))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(data=st.data())
def test_edits_of_a_signed_cv5_are_caught(target: Target, data: st.DataObject) -> None:
    root = target.signed_cv5()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit_tree(root, data, include_signature=True)
    target.send(to_bytes(root), path=SERVICE_PATH)


# --- (c) edits signed with the right key: the checks behind the signature must catch them ----------


@HOSTILE
@given(data=st.data())
def test_edits_signed_with_the_right_key_are_caught_by_the_deeper_checks(target: Target, data: st.DataObject) -> None:
    root = target.request().to_xml()
    for _ in range(data.draw(st.integers(1, 2), label="edits")):
        edit_tree(root, data, include_signature=False)
    identity = target.cast.eastern.identity
    target.send(to_bytes(sign(root, identity.key, identity.certificate)))


def _eui64(raw: bytes) -> str:
    return "-".join(f"{b:02X}" for b in raw)


@HOSTILE
@given(data=st.data())
def test_field_changes_signed_with_the_right_key(target: Target, data: st.DataObject) -> None:
    """Targeted changes of what the rules read: RequestID counter, originator and target, the
    replacement certificates (junk, wrong role, wrong key use), the Certification Path, the
    RemotePartyRole, and who signs (another User, the wrong key, a KA certificate, the User's own Digital
    Signing certificate instead of its XML-signing one, the DSP's)."""
    cast, inst = target.cast, target.inst
    request = target.request()
    root = request.to_xml()
    rid = root.find(f"{q('Header')}/{q('RequestID')}")
    originator, device, counter = rid.text.split(":")
    field_name = data.draw(
        st.sampled_from(["counter", "originator", "target", "certificate", "path", "role", "signer"]), label="field"
    )
    signer = (cast.eastern.identity.key, cast.eastern.identity.certificate)
    other_orgs = [cast.western, cast.northern, cast.supplier, cast.gas_transporter, cast.other_user, cast.acb]
    if field_name == "counter":
        new = data.draw(
            st.integers(0, 2**64 + 10).map(str) | st.sampled_from(["", "-1", "+1", "1.0", " 7", "0x10", "1" * 30]),
            label="counter",
        )
        rid.text = f"{originator}:{device}:{new}"
    elif field_name == "originator":
        new = data.draw(
            st.sampled_from([o.entity_id for o in other_orgs] + [originator.lower(), ""])
            | st.binary(min_size=8, max_size=8).map(_eui64),
            label="originator",
        )
        rid.text = f"{new}:{device}:{counter}"
    elif field_name == "target":
        new = data.draw(
            st.sampled_from([inst.gsme, inst.chf, inst.gpf, device.lower(), test_data.device_id(), ""])
            | st.binary(min_size=8, max_size=8).map(_eui64),
            label="target",
        )
        rid.text = f"{originator}:{new}:{counter}"
    elif field_name == "certificate":
        slot = data.draw(st.sampled_from(["DigitalSigningCertificate", "KeyAgreementCertificate"]), label="slot")
        element = root.find(f".//{q(slot)}")
        ders = {
            "supplier DS": cast.supplier.ds_der,
            "supplier KA": cast.supplier.ka_der,
            "ACB DS": cast.acb.ds_der,
            "western KA": cast.western.ka_der,
            "western DS": cast.western.ds_der,
            "northern DS": cast.northern.ds_der,
            "issuing CA": target.ca,
            "signer": target.sandbox.dsp_signer.certificate.der(),
        }
        choice = data.draw(st.sampled_from(sorted(ders)) | st.binary(max_size=64), label="certificate")
        der = ders[choice] if isinstance(choice, str) else choice
        if data.draw(st.booleans(), label="truncate"):
            der = der[: data.draw(st.integers(0, max(len(der) - 1, 0)), label="length")]
        element.text = base64.b64encode(der).decode()
    elif field_name == "path":
        path = root.find(f".//{q('CertificationPathCertificates')}")
        for child in list(path):
            path.remove(child)
        for der in data.draw(
            st.lists(st.sampled_from([target.ca, cast.western.ds_der, b""]) | st.binary(max_size=32), max_size=3),
            label="path",
        ):
            etree.SubElement(path, q("Certificate")).text = base64.b64encode(der).decode()
    elif field_name == "signer":
        ka = x509.load_pem_x509_certificate(cast.eastern.ka_pem.encode())
        ds = x509.load_pem_x509_certificate(cast.eastern.ds_pem.encode())
        signers = {
            "western's key and certificate": (cast.western.identity.key, cast.western.identity.certificate),
            "eastern's KA key and certificate": (cast.eastern.ka_key, ka),
            "eastern's Digital Signing key and certificate": (cast.eastern.ds_key, ds),
            "western's key, eastern's certificate": (cast.western.identity.key, cast.eastern.identity.certificate),
            "eastern's key, western's certificate": (cast.eastern.identity.key, cast.western.identity.certificate),
            "the ACB's key and certificate": target.sandbox.identities.load("Access Control Broker/DS"),
            "the DSP's certificate": (cast.eastern.identity.key, target.sandbox.dsp_signer.certificate.certificate),
        }
        signer = signers[data.draw(st.sampled_from(sorted(signers)), label="signer")]
    else:
        element = root.find(f".//{q('RemotePartyRole')}")
        element.text = data.draw(
            st.sampled_from(["Supplier", "ACB", "Root", "Recovery", "TransCoS", "WANProvider", "networkoperator"])
            | TEXT,
            label="role",
        )
    target.send(to_bytes(sign(root, *signer)))


def test_the_unmutated_request_succeeds_and_changes_the_holder(target: Target, control, duis, cast) -> None:
    """The baseline the properties mutate: without a mutation the change is made (so a mutation that
    slipped through would show in the fingerprint)."""
    before = target.sandbox.store.fingerprint()
    exchange = duis.send(target.request(), cast.eastern)
    assert exchange.response.succeeded, exchange.reason
    assert target.sandbox.store.fingerprint() != before


def test_an_empty_certificate_slot_is_refused_not_skipped(target: Target, control, duis, cast) -> None:
    """`<DigitalSigningCertificate/>` offers a certificate that is not one: the S1SP refuses the whole
    request rather than applying the Key Agreement certificate alone (the DSP accepted it, so only its
    counter was used up)."""
    root = target.request().to_xml()
    root.find(f".//{q('DigitalSigningCertificate')}").text = ""
    state, counters = target.state(), target.counters()
    final = target.final(
        to_bytes(sign(root, cast.eastern.identity.key, cast.eastern.identity.certificate)), TRANSFORM_PATH
    )
    assert final.response.s1sp_alert is not None, final.reason
    assert final.response.s1sp_alert.code == "S1SP-INVALID-CERTIFICATE"
    assert final.acknowledged is not None and final.acknowledged.originator == cast.eastern.entity_id
    assert target.state() == state
    assert target.counters() == counters | {cast.eastern.entity_id: str(final.acknowledged.counter)}


@pytest.mark.parametrize("value", ["", "  ", "\u00e9t\u00e9", "\U0001031d", "not base64!"])
def test_a_malformed_signature_value_is_a_signature_rejection(target: Target, duis, cast, value: str) -> None:
    """signxml decodes SignatureValue without checking it: empty or non-ASCII text once made the DSP
    answer 500. It is a signature that does not verify (E1), and nothing changes."""
    request = target.request()
    root = target.signed_tree(request)
    root.find(f".//{{{DS}}}SignatureValue").text = value
    before = target.sandbox.store.fingerprint()
    exchange = duis.post(request, to_bytes(root), TRANSFORM_PATH)
    assert exchange.http_status == 200, exchange.reason
    assert (exchange.response.response_code, exchange.clause) in {
        ("E1", DUIS_SIGNATURE.display),
        ("E100", DUIS_SCHEMA.display),
    }, exchange.reason
    assert target.sandbox.store.fingerprint() == before


def test_a_dropped_connection_mid_body_changes_nothing(target: Target, sandbox) -> None:
    """A client that announces a body and hangs up part way: the DSP gives up on it, nothing changes."""
    import socket

    body = to_bytes(target.signed_tree())
    host, port = sandbox.services["DSP"].url.removeprefix("http://").split(":")
    before = sandbox.store.fingerprint()
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        head = f"POST {TRANSFORM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
        conn.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
    assert sandbox.store.fingerprint() == before
    target.assert_alive()
    assert requests.get(sandbox.services["DSP"].url + "/", timeout=5).status_code == 404
