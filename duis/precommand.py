"""The Pre-Command DCC returns for a Critical Service Request (CV 4), and the User's signature on it.

Layout: a GBCS General Signing APDU as DCC's own tools read and write it (DCC-INTERFACE Q1;
SmartDCCInnovation/gbcs-parser `parseGeneralSigning` / `signGroupingHeader`), checked against DCC's
RTDS 4.5.0 vector `CS02bNOByNO_6.15.1_SUCCESS_PRECOMMAND_GBCS.HEX` (tests/test_precommand.py):

    offset  bytes
    0       DF 09                 General Signing tag
    2       01                    CRA flag: command
    3       8 bytes               originator counter, big-endian (the DUIS RequestID counter)
    11      08 + 8 bytes          originator system title (the Business Originator ID)
    20      08 + 8 bytes          recipient system title (the Business Target ID: the device)
    29      00 | 0C + 12 bytes    date-time: absent, or a DLMS date-time
    …       02 + 2 bytes          other information: the GBCS message code only
    …       BER length + content

As DCC Boxed returns it, there is NO trailing signature-length byte. The User signs it as DCC's client
does: ECDSA P-256 / SHA-256 over the payload without its leading 0xDF, the signature in IEEE P1363 form
(r || s, 64 bytes), appended as 0x40 + 64 bytes.

Sandbox choices (documented, not DCC's):
- The content is not GBCS ASN.1 (CS02b): it is the SHA-256 digest (32 bytes) of the exclusive-C14N of
  the request's Body element (insignificant whitespace removed first). So the Pre-Command binds the
  request's content (certificates, role, execution time) and, through the header, its counter.
- The date-time field carries the request's ExecutionDateTime (UTC, to the hundredth of a second) so a
  reader can recover it without the request. DCC's future-dated vectors keep this field 00 and put the
  execution time inside the CS02b content (a GeneralizedTime), which our digest content cannot show.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree

from duis.requests import MalformedMessage, RequestID, ServiceRequest, normalise_eui64
from duis.xml import SR, parse, text

GBCS_VERSION = "4.1"
"""The GBCS version a Pre-Command names (`PreCommand/GBCSVersion`): the DUIS V5.1a XSD header says
"Aligned with GBCS version - 4.1" (tests check it against the XSD: `xsd_gbcs_version()`)."""

GENERAL_SIGNING = b"\xdf\x09"
CRA_COMMAND = 0x01
SYSTEM_TITLE_LENGTH = 8
DLMS_DATE_TIME_LENGTH = 12
SIGNATURE_LENGTH = 64
DIGEST_LENGTH = 32

MESSAGE_CODES: dict[str, int] = {"Supplier": 0x0102, "NetworkOperator": 0x0103}
"""GBCS CS02b message codes of SRV 6.15.1 by the RemotePartyRole replaced (gbcs-parser `src/util.ts`):
0x0102 supplierBySupplier, 0x0103 networkOperatorByNetworkOperator."""

_DEVIATION_NOT_SPECIFIED = -0x8000  # 0x8000 read as a signed 16-bit value
_NOT_SPECIFIED = 0xFF


class PreCommandInvalid(ValueError):
    """Bytes that are not a Pre-Command (signed or not) of the layout above; the message says why."""


class PreCommandSignatureInvalid(PreCommandInvalid):
    """A well-formed signed Pre-Command whose signature does not verify with the key given."""


def _system_title(eui: str) -> bytes:
    try:
        return bytes.fromhex(normalise_eui64(eui).replace("-", ""))
    except MalformedMessage as exc:
        raise PreCommandInvalid(str(exc)) from None


def _eui(title: bytes) -> str:
    return "-".join(f"{b:02X}" for b in title)


def _ber_length(length: int) -> bytes:
    """A BER definite length: short form below 128, else 0x8n and n big-endian bytes."""
    if length < 0x80:
        return bytes([length])
    size = (length.bit_length() + 7) // 8
    return bytes([0x80 | size]) + length.to_bytes(size, "big")


def _to_hundredths(value: dt.datetime) -> dt.datetime:
    """UTC, to the hundredth of a second: what a DLMS date-time can hold (naive means UTC)."""
    utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return utc.replace(microsecond=utc.microsecond // 10000 * 10000)


def dlms_date_time(value: dt.datetime) -> bytes:
    """The 12-byte DLMS date-time of `value` in UTC: year (2), month, day, day of week (1 = Monday),
    hour, minute, second, hundredths, deviation 0x8000 and clock status 0xFF ("not specified", as in
    DCC's DLMS vectors; GBCS times are UTC)."""
    utc = _to_hundredths(value)
    return struct.pack(
        ">HBBBBBBBhB",
        utc.year,
        utc.month,
        utc.day,
        utc.isoweekday(),
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond // 10000,
        _DEVIATION_NOT_SPECIFIED,
        _NOT_SPECIFIED,
    )


def parse_dlms_date_time(data: bytes) -> dt.datetime:
    """A 12-byte DLMS date-time back to an aware UTC datetime. The sandbox writes UTC only, so a
    deviation other than 0 or "not specified" is refused, as are wildcards in the date or time."""
    if len(data) != DLMS_DATE_TIME_LENGTH:
        raise PreCommandInvalid(f"a DLMS date-time is 12 bytes, not {len(data)}")
    year, month, day, weekday, hour, minute, second, hundredths, deviation, _status = struct.unpack(">HBBBBBBBhB", data)
    if deviation not in (0, _DEVIATION_NOT_SPECIFIED):
        raise PreCommandInvalid(f"the date-time's deviation is {deviation} minutes; the sandbox reads UTC only")
    if hundredths == _NOT_SPECIFIED:
        hundredths = 0
    try:
        value = dt.datetime(year, month, day, hour, minute, second, hundredths * 10000, tzinfo=dt.UTC)
    except ValueError as exc:
        raise PreCommandInvalid(f"the date-time {data.hex().upper()} is not a date and time: {exc}") from None
    if weekday != _NOT_SPECIFIED and weekday != value.isoweekday():
        raise PreCommandInvalid(f"the date-time's day of week {weekday} is not that of {value.date()}")
    return value


@dataclass(frozen=True)
class PreCommand:
    """The fields of a Pre-Command. `originator` and `target` are EUI-64s written with dashes
    (normalised on construction); `execution` is UTC to the hundredth of a second, or None;
    `content_digest` is the 32-byte SHA-256 of the request Body (see the module docstring)."""

    originator: str
    target: str
    counter: int
    message_code: int
    execution: dt.datetime | None
    content_digest: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", _eui(_system_title(self.originator)))
        object.__setattr__(self, "target", _eui(_system_title(self.target)))
        if not 0 <= self.counter < 2**64:
            raise PreCommandInvalid(f"the originator counter {self.counter} does not fit in 8 bytes")
        if not 0 <= self.message_code <= 0xFFFF:
            raise PreCommandInvalid(f"the message code {self.message_code} does not fit in 2 bytes")
        if self.execution is not None:
            object.__setattr__(self, "execution", _to_hundredths(self.execution))
        if len(self.content_digest) != DIGEST_LENGTH:
            raise PreCommandInvalid(
                f"the content is {len(self.content_digest)} bytes, not the 32-byte SHA-256 digest the sandbox uses"
            )
        object.__setattr__(self, "content_digest", bytes(self.content_digest))

    def to_bytes(self) -> bytes:
        """The unsigned Pre-Command payload, as DCC returns it (no trailing signature-length byte)."""
        date_time = (
            b"\x00" if self.execution is None else bytes([DLMS_DATE_TIME_LENGTH]) + dlms_date_time(self.execution)
        )
        return b"".join(
            (
                GENERAL_SIGNING,
                bytes([CRA_COMMAND]),
                self.counter.to_bytes(8, "big"),
                bytes([SYSTEM_TITLE_LENGTH]) + _system_title(self.originator),
                bytes([SYSTEM_TITLE_LENGTH]) + _system_title(self.target),
                date_time,
                b"\x02" + self.message_code.to_bytes(2, "big"),
                _ber_length(len(self.content_digest)) + self.content_digest,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> PreCommand:
        """Read a Pre-Command, signed (0x40 + 64 bytes after the content) or not; the signature is not
        checked here (`verify_pre_command` does). Raises PreCommandInvalid with a plain reason."""
        frame = _Frame.read(data)
        if frame.end != len(data) and not frame.is_signed(data):
            raise PreCommandInvalid(
                f"{len(data) - frame.end} bytes follow the content, which is not a 0x40 + 64-byte signature"
            )
        return cls(
            originator=_eui(frame.originator),
            target=_eui(frame.recipient),
            counter=frame.counter,
            message_code=frame.message_code,
            execution=frame.execution,
            content_digest=frame.content,
        )


@dataclass(frozen=True)
class _Frame:
    """A General Signing APDU read structurally, with any content length (so DCC's own ASN.1
    Pre-Commands can be signed and split too); `end` is the offset just after the content."""

    counter: int
    originator: bytes
    recipient: bytes
    execution: dt.datetime | None
    message_code: int
    content: bytes
    end: int

    def is_signed(self, data: bytes) -> bool:
        rest = data[self.end :]
        return len(rest) == 1 + SIGNATURE_LENGTH and rest[0] == SIGNATURE_LENGTH

    @classmethod
    def read(cls, data: bytes) -> _Frame:
        reader = _Reader(bytes(data))
        if reader.take(2, "the General Signing tag") != GENERAL_SIGNING:
            raise PreCommandInvalid("the payload does not start with the General Signing tag DF 09")
        cra = reader.byte("the CRA flag")
        if cra != CRA_COMMAND:
            raise PreCommandInvalid(f"the CRA flag is {cra:02X}, not 01 (a command)")
        counter = int.from_bytes(reader.take(8, "the originator counter"), "big")
        originator = reader.system_title("originator")
        recipient = reader.system_title("recipient")
        date_time_length = reader.byte("the date-time length")
        if date_time_length == 0:
            execution = None
        elif date_time_length == DLMS_DATE_TIME_LENGTH:
            execution = parse_dlms_date_time(reader.take(DLMS_DATE_TIME_LENGTH, "the date-time"))
        else:
            raise PreCommandInvalid(f"the date-time length is {date_time_length}, not 0 (absent) or 12")
        other_length = reader.length("the other-information length")
        if other_length != 2:
            raise PreCommandInvalid(
                f"the other information is {other_length} bytes; the sandbox's Pre-Commands carry only the"
                " 2-byte message code"
            )
        message_code = int.from_bytes(reader.take(2, "the message code"), "big")
        content_length = reader.length("the content length")
        content = reader.take(content_length, "the content")
        return cls(counter, originator, recipient, execution, message_code, content, reader.offset)


class _Reader:
    """Bytes read front to back, with a plain reason when they run out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, size: int, what: str) -> bytes:
        if self.offset + size > len(self.data):
            raise PreCommandInvalid(f"the Pre-Command is truncated in {what} (at byte {self.offset})")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def system_title(self, whose: str) -> bytes:
        length = self.byte(f"the {whose} system title length")
        if length != SYSTEM_TITLE_LENGTH:
            raise PreCommandInvalid(f"the {whose} system title length is {length}, not 8")
        return self.take(SYSTEM_TITLE_LENGTH, f"the {whose} system title")

    def length(self, what: str) -> int:
        first = self.byte(what)
        if first < 0x80:
            return first
        size = first & 0x7F
        if size == 0 or size > 4:
            raise PreCommandInvalid(f"{what} is not a definite BER length of at most 4 bytes")
        return int.from_bytes(self.take(size, what), "big")


def message_code_for(request: ServiceRequest) -> int:
    """The GBCS message code of the command a request becomes: 6.15.1 replacing a Supplier (0x0102) or
    Network Operator (0x0103) certificate. Anything else raises ValueError: the sandbox makes no other
    Pre-Commands."""
    code = MESSAGE_CODES.get(request.remote_party_role or "") if request.srv.variant == "6.15.1" else None
    if code is None:
        raise ValueError(
            f"the sandbox makes no Pre-Command for SRV {request.srv.variant} with RemotePartyRole "
            f"{request.remote_party_role!r}: only 6.15.1 for Supplier (0x0102) or NetworkOperator (0x0103)"
        )
    return code


def body_digest(body: etree._Element) -> bytes:
    """SHA-256 of the exclusive-C14N of a request Body element, insignificant whitespace removed first
    (so a pretty-printed and a compact copy of the same request bind the same Pre-Command)."""
    standalone = parse(etree.tostring(body, with_tail=False))
    return hashlib.sha256(etree.tostring(standalone, method="c14n", exclusive=True)).digest()


def pre_command_for(request: ServiceRequest, request_root: etree._Element) -> PreCommand:
    """The Pre-Command for a parsed CV 4 request and its XML root (the same request: RequestIDs must
    match). Raises ValueError for anything that is not a 6.15.1 CV 4 request the sandbox can transform."""
    if request.command_variant != 4:
        raise ValueError(f"a Pre-Command is made from a CV 4 (Transform) request, not CV {request.command_variant}")
    code = message_code_for(request)
    try:
        written = RequestID.parse(text(request_root, "sr:Header/sr:RequestID") or "")
    except MalformedMessage:
        written = None
    if written != request.request_id:  # compared canonically: the XSD allows EUI-64s in either case
        raise ValueError("the XML root is not the request given: its RequestID differs")
    body = request_root.find(f"sr:Body/sr:{request.srv.body_element}", {"sr": SR})
    if body is None:
        raise ValueError(f"the request's Body holds no {request.srv.body_element}")
    return PreCommand(
        originator=request.request_id.originator,
        target=request.request_id.target,
        counter=request.request_id.counter,
        message_code=code,
        execution=request.execution_date_time,
        content_digest=body_digest(body),
    )


def _p256_private(key: object) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a Pre-Command is signed with an EC P-256 private key (the User's Digital Signing key)")
    return key


def sign_pre_command(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The payload with the User's signature appended (payload + 0x40 + r||s), as DCC's client signs:
    ECDSA P-256 / SHA-256 over the payload without its leading 0xDF. Refuses a payload that does not
    start with 0xDF, is malformed, or is already signed."""
    if not payload or payload[0] != GENERAL_SIGNING[0]:
        raise PreCommandInvalid("the payload does not start with 0xDF: it is not a General Signing APDU")
    frame = _Frame.read(payload)
    if frame.end != len(payload):
        raise PreCommandInvalid(
            "the payload is already signed" if frame.is_signed(payload) else "bytes follow the payload's content"
        )
    der = _p256_private(key).sign(payload[1:], ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return payload + bytes([SIGNATURE_LENGTH]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def split_signed(signed: bytes) -> tuple[bytes, bytes]:
    """A signed Pre-Command as (unsigned payload, 64-byte P1363 signature); raises PreCommandInvalid
    when it is malformed or carries no 0x40 + 64-byte signature."""
    frame = _Frame.read(signed)
    if frame.end == len(signed):
        raise PreCommandInvalid("the Pre-Command is not signed")
    if not frame.is_signed(signed):
        raise PreCommandInvalid("what follows the content is not a signature of 0x40 and 64 bytes")
    return bytes(signed[: frame.end]), bytes(signed[frame.end + 1 :])


def verify_pre_command(signed: bytes, public_key: ec.EllipticCurvePublicKey | x509.Certificate) -> bytes:
    """Check a signed Pre-Command with the signer's public key (or certificate); returns the unsigned
    payload. Raises PreCommandSignatureInvalid when the signature does not verify with that key, and
    PreCommandInvalid when the bytes are not a signed Pre-Command at all."""
    payload, signature = split_signed(signed)
    key = public_key.public_key() if isinstance(public_key, x509.Certificate) else public_key
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PreCommandSignatureInvalid("the key given is not an EC P-256 public key")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), payload[1:], ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PreCommandSignatureInvalid("the Pre-Command's signature does not verify with the key given") from None
    return payload


__all__ = [
    "DIGEST_LENGTH",
    "GBCS_VERSION",
    "MESSAGE_CODES",
    "SIGNATURE_LENGTH",
    "PreCommand",
    "PreCommandInvalid",
    "PreCommandSignatureInvalid",
    "body_digest",
    "dlms_date_time",
    "message_code_for",
    "parse_dlms_date_time",
    "pre_command_for",
    "sign_pre_command",
    "split_signed",
    "verify_pre_command",
]
