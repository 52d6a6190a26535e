#!/usr/bin/env python3
# Copyright 2026 the @ca/streams authors. MIT license.
"""A ca-streams runner in Python (standard library only).

It runs processors between two channels (docs/protocol.md): it reads the
batches a JS channelWriter() sends to its input channel, transforms them, and
writes them to a JS channelReader() on its output channel. `ca run` drives it
with JSON lines on stdin/stdout (the runner control protocol: start, connect,
stop, abort in; hello, listening, progress, done, error out); logs go to
stderr. `runner.py --list` prints its processors.

One main thread owns all state. Small daemon threads only block on I/O (stdin,
accept, reading frames) and post events to one queue. An input batch is
acknowledged upstream only once the downstream reader acknowledged every DATA
frame made from it, so a crash here loses nothing.
"""
import hmac
import json
import os
import platform
import queue
import random
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import deque

MAX_SAFE = 2**53 - 1
MAX_FRAME = 16 * 1024 * 1024  # the largest frame we accept
FIRST_FRAME = 64 * 1024  # limit until a whole frame has arrived
WINDOW = 16  # input credit window, in batches
BATCH = 1024  # most records in one output DATA frame
HEARTBEAT_MS = 5000  # what our WELCOME asks of writers
HANDSHAKE_S, CLOSE_WAIT_S, STOP_DRAIN_S, END_WAIT_S = 10.0, 1.0, 5.0, 10.0
HELLO, WELCOME, DATA, ACK, CREDIT, HEARTBEAT, CLOSE = range(1, 8)
PAYLOAD = {HELLO: (2, MAX_FRAME), WELCOME: (2, MAX_FRAME),  # size limits
           DATA: (15, MAX_FRAME), ACK: (8, 8), CREDIT: (4, 4),
           HEARTBEAT: (0, 8), CLOSE: (2, 125)}
FATAL = {4000, 4001, 4002, 4003, 4008}  # close codes where retrying is vain
events = queue.Queue()  # (kind, target, value) for the main thread


def log(message):
    print(f"python runner: {message}", file=sys.stderr, flush=True)


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class Failure(Exception):
    """Ends the runner with an `error` message: exit 2 for config, else 1."""

    def __init__(self, message, code="CA_ERR_RUNNER", path=None):
        super().__init__(message)
        self.code, self.path = code, path


# ---- Processors: name -> (description, {arg: JSON type}, factory) ----------

def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _update(field, applies, change):
    def apply(record):
        if isinstance(record, dict) and applies(record.get(field)):
            record[field] = change(record[field])
        return record
    return apply


PROCESSORS = {
    "py-upper": ("Uppercases a string field of each record; records without"
                 " it pass unchanged.", {"field": "string"},
                 lambda a: _update(a["field"], lambda v: isinstance(v, str),
                                   str.upper)),
    "py-scale": ("Multiplies a numeric field of each record by factor;"
                 " records without it pass unchanged.",
                 {"field": "string", "factor": "number"},
                 lambda a: _update(a["field"], _is_number,
                                   lambda v: v * a["factor"])),
}


def schema(fields):
    properties = {name: {"type": kind, **({"minLength": 1} if kind == "string"
                                          else {})}
                  for name, kind in fields.items()}
    return {"type": "object", "properties": properties,
            "required": list(fields), "additionalProperties": False}


def valid(kind, value):
    if kind == "string":
        return isinstance(value, str) and value != ""
    return _is_number(value) and abs(value) != float("inf")


def create(processor):
    """Validates one plan processor's args and returns its record function.
    Error paths name the processor as the JS runners do,
    /processors/<name>/args/<arg>, or by its index in the config when the
    plan gives one (`index`)."""
    index = processor.get("index", processor.get("name"))
    use = processor.get("use")
    if use not in PROCESSORS:
        raise Failure(f"/processors/{index}/use: the Python runner has no"
                      f" processor {json.dumps(use)} (it has"
                      f" {', '.join(PROCESSORS)})", "CA_ERR_CONFIG",
                      f"/processors/{index}/use")
    _, fields, factory = PROCESSORS[use]
    args = processor.get("args", {})
    if not isinstance(args, dict):
        path = f"/processors/{index}/args"
        raise Failure(f"{path}: expected an object", "CA_ERR_CONFIG", path)
    for name in list(fields) + [k for k in args if k not in fields]:
        path, kind = f"/processors/{index}/args/{name}", fields.get(name)
        if kind is None:
            problem = f"unknown argument ({use} takes {', '.join(fields)})"
        elif not valid(kind, args.get(name)):
            got = json.dumps(args[name]) if name in args else "nothing"
            wanted = "a non-empty string" if kind == "string" else "a number"
            problem = f"expected {wanted}, got {got}"
        else:
            continue
        raise Failure(f"{path}: {problem}", "CA_ERR_CONFIG", path)
    return factory(args)


# ---- Frames (docs/protocol.md, "Frames") -----------------------------------

class ProtocolError(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code, self.reason = code, reason


def need(condition, where, code=4000):
    if not condition:
        raise ProtocolError(code, f"invalid {where}")


def is_int(value, low, high):
    return (isinstance(value, int) and not isinstance(value, bool) or
            isinstance(value, float) and value.is_integer()) and \
        low <= value <= high


def dumps(value):
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
    except UnicodeEncodeError:  # a lone surrogate: let JSON escape it
        return json.dumps(value, separators=(",", ":"),
                          allow_nan=False).encode()


def parse(data, where):
    def no_constant(name):
        raise ValueError(name)
    try:  # strict UTF-8 (no surrogates, no overlong forms); no NaN/Infinity
        return json.loads(data.decode("utf-8"), parse_constant=no_constant)
    except ValueError:
        raise ProtocolError(4000, f"invalid {where}") from None


def encode(kind, payload=b""):
    return struct.pack(">IB", len(payload) + 1, kind) + payload


def text(obj, key, where, low, high):
    value = obj.get(key)
    try:
        ok = isinstance(value, str) and low <= len(value.encode()) <= high
    except UnicodeEncodeError:  # "\ud800" in JSON: not well-formed
        ok = False
    need(ok, f"{where}.{key}")
    return value


def handshake(obj, where, ints, texts=()):
    """Checks a HELLO or WELCOME object: version first (4002 if newer)."""
    need(isinstance(obj, dict), where)
    version = obj.get("version")
    if is_int(version, 2, MAX_SAFE):
        raise ProtocolError(4002, f"{where}.version: supported versions: 1")
    need(is_int(version, 1, 1), f"{where}.version")
    if where == "HELLO":
        need(obj.get("protocol") == "ca-streams", "HELLO.protocol")
    message = {"type": where.lower(), "version": 1}
    for key, low, high in texts:
        message[key] = text(obj, key, where, low, high)
    for key, low, high in ints:
        need(is_int(obj.get(key), low, high), f"{where}.{key}")
        message[key] = int(obj[key])
    return message


def decode(kind, payload):
    if kind == HELLO:
        return handshake(parse(payload, "HELLO"), "HELLO", [
            ("firstSeq", 1, MAX_SAFE), ("maxFrameBytes", 1024, 2**30),
            ("batchRecords", 1, 2**20)], [
            ("stream", 1, 256), ("token", 0, 4096), ("writer", 1, 256)])
    if kind == WELCOME:
        return handshake(parse(payload, "WELCOME"), "WELCOME", [
            ("credit", 0, 2**32 - 1), ("nextSeq", 1, MAX_SAFE),
            ("heartbeatMs", 0, 2**31 - 1), ("maxFrameBytes", 1024, 2**30)])
    if kind == DATA:
        seq, count = struct.unpack_from(">QI", payload)
        need(1 <= seq <= MAX_SAFE, "DATA.seq")
        need(count >= 1, "DATA.count")
        records = parse(payload[12:], "DATA.records")
        need(isinstance(records, list) and len(records) == count,
             "DATA.records")
        return {"type": "data", "seq": seq, "records": records}
    if kind in (ACK, CREDIT):
        (value,) = struct.unpack(">Q" if kind == ACK else ">I", payload)
        name = "ACK.seq" if kind == ACK else "CREDIT.credit"
        need(1 <= value <= (MAX_SAFE if kind == ACK else 2**32 - 1), name)
        return {"type": name.split(".")[0].lower(), name.split(".")[1]: value}
    if kind == HEARTBEAT:
        need(len(payload) in (0, 8), "HEARTBEAT")
        if not payload:
            return {"type": "heartbeat"}
        (value,) = struct.unpack(">Q", payload)
        need(value <= MAX_SAFE, "HEARTBEAT.time")
        return {"type": "heartbeat", "time": value}
    (code,) = struct.unpack_from(">H", payload)  # CLOSE
    need(1000 <= code <= 4999, "CLOSE.code")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(4000, "invalid CLOSE.reason") from None
    return {"type": "close", "code": code, "reason": reason}


READ_PIECE = 65536  # bytes of a payload read at a time


def read_frame(read, limit):
    """Reads one frame with `read(n)`; returns its message, or None when the
    input ends between frames. Raises EOFError when it ends inside one."""
    head = read(4)
    if not head:
        return None
    if len(head) < 4:
        raise EOFError
    (length,) = struct.unpack(">I", head)
    need(length > 0, "frame length 0")
    if length + 4 > limit:  # from the prefix alone, before any payload
        raise ProtocolError(4003, "frame too large")
    kind = read(1)
    if not kind:
        raise EOFError
    low, high = PAYLOAD.get(kind[0], (1, 0))
    need(kind[0] in PAYLOAD, f"frame type {kind[0]}")
    need(low <= length - 1 <= high, "payload size")
    # Read the payload as it arrives, in pieces: read(n) of a buffered file
    # reserves n bytes at once, so a peer announcing a large frame and
    # sending nothing would make each connection hold that much.
    pieces, left = [], length - 1
    while left > 0:
        piece = read(min(left, READ_PIECE))
        if not piece:
            raise EOFError
        pieces.append(piece)
        left -= len(piece)
    return decode(kind[0], b"".join(pieces))


# ---- Connections -----------------------------------------------------------

class Conn:
    """One TCP connection: a thread reads frames, the main thread writes."""

    def __init__(self, sock, segment, side):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.segment, self.side = sock, segment, side  # "in"/"out"
        self.opened = self.last_in = self.last_out = time.monotonic()
        self.ready = False  # handshake done
        self.heartbeat = 0.0  # seconds; 0: off
        self.close_sent = None  # when we sent CLOSE
        self.close_got = False
        self.code = None  # the first close code sent or received
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        reader, limit = self.sock.makefile("rb"), min(FIRST_FRAME, MAX_FRAME)
        try:
            while (message := read_frame(reader.read, limit)) is not None:
                limit = MAX_FRAME
                events.put(("frame", self, message))
        except ProtocolError as error:
            events.put(("bad", self, error))
        except (OSError, EOFError, ValueError):
            pass  # an abnormal closure
        events.put(("end", self, None))  # always last, exactly once

    @property
    def alive(self):
        return self.close_sent is None and not self.close_got

    def send(self, data):
        try:
            self.sock.sendall(data)
            self.last_out = time.monotonic()
        except OSError:
            self.kill()

    def send_json(self, kind, message):
        self.send(encode(kind, dumps(message)))

    def close(self, code, reason=""):
        """Sends CLOSE once, then closes on the peer's answer or a timeout."""
        if self.close_sent is None:
            self.code = self.code or code
            cut = reason.encode()[:123].decode("utf-8", "ignore").encode()
            self.send(encode(CLOSE, struct.pack(">H", code) + cut))
            self.close_sent = time.monotonic()
        if self.close_got:
            self.kill()

    def kill(self):
        try:  # shutdown wakes the reading thread, which then posts "end"
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def tick(self, now):
        if self.close_sent is not None:
            if now - self.close_sent > CLOSE_WAIT_S:
                self.kill()
        elif not self.ready and now - self.opened > HANDSHAKE_S:
            self.close(4004, "handshake timeout")
        elif self.ready and self.heartbeat:
            if now - self.last_in > 3 * self.heartbeat:
                self.close(4005, "heartbeat timeout")
            elif now - self.last_out >= self.heartbeat:
                time_ms = struct.pack(">Q", int(now * 1000))
                self.send(encode(HEARTBEAT, time_ms))


# ---- Segments: processors between an input and an output channel ----------

class Writer:
    """What the input side knows of one upstream writer instance."""

    def __init__(self):
        self.accepted = self.stored = 0  # highest seq taken in / stored
        self.held = 0  # batches accepted and not yet stored downstream
        self.outstanding = 0  # credit granted and not yet used
        self.link = None  # its current connection


class Segment:
    """Processors between an input channel, where this runner is the reader
    (it listens), and an output channel, where it is the writer (it dials).
    Input batches flow: staged (transformed) -> frames (DATA, kept until
    ACKed) -> origins settle them upstream (ACK and CREDIT)."""

    def __init__(self, plan, processors):
        self.input, self.output = plan["input"], plan["output"]
        self.processors, self.conns, self.writers = processors, set(), {}
        self.processor_plans = plan["processors"]
        self.holder, self.listener = None, None
        self.ended = self.finished = self.stopping = False
        self.staged = deque()  # (writer, input seq, transformed records)
        self.frames = deque()  # output DATA not acknowledged: (seq, bytes, n)
        self.origins = deque()  # (last output seq, writer, input seq)
        self.next_seq, self.sent_to, self.sent_max, self.acked_to = 1, 0, 0, 0
        self.credit, self.peer_max = 0, MAX_FRAME
        self.out = self.address = self.retry_at = self.end_sent = None
        self.backoff, self.stop_at, self.end_at = 0.1, 0.0, None
        self.writer_id = f"python-{uuid.uuid4()}"
        self.read = self.written = 0

    def listen(self):
        host, port = self.input["host"], self.input["port"]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self.listener = socket.create_server((host, port), family=family)
        except OSError as error:
            raise Failure(f"Cannot listen on {host}:{port}: {error}") from None
        threading.Thread(target=self._accept, daemon=True).start()
        emit({"type": "listening", "channel": self.input["name"],
              "port": self.listener.getsockname()[1]})

    def _accept(self):
        try:
            while True:
                events.put(("accept", self, self.listener.accept()[0]))
        except OSError:
            pass  # the listener closed

    def accept(self, sock):
        if self.stopping or self.ended:
            sock.close()
        else:
            self.conns.add(Conn(sock, self, "in"))

    def on_frame(self, conn, message):
        conn.last_in = time.monotonic()
        if conn.close_got:
            return  # after a CLOSE, every frame is ignored
        if message["type"] == "close":
            conn.close_got, code = True, message["code"]
            conn.code = conn.code or code
            conn.close(code)  # answers, unless it was the answer; closes
            if code == 1000 and conn.side == "in" and conn.ready:
                self.ended = True  # end of stream: finish once all is acked
            elif code == 1000 and conn is self.end_sent:
                self.finished = True  # the reader took our end of stream
            return self.pump()
        if conn.close_sent is None:
            (self.on_input if conn.side == "in" else self.on_output)(
                conn, message)

    # -- the input side: a protocol reader --

    def on_input(self, conn, message):
        kind = message["type"]
        if not conn.ready:
            if kind != "hello":
                return conn.close(4000, "expected HELLO")
            return self.welcome(conn, message)
        if kind == "heartbeat":
            return
        if kind != "data":
            return conn.close(4000, f"unexpected {kind.upper()}")
        writer, seq, records = conn.writer, message["seq"], message["records"]
        in_order = seq == conn.previous + 1 if conn.previous else \
            conn.hello["firstSeq"] <= seq <= conn.next_seq
        if writer.outstanding <= 0 or not in_order or \
                len(records) > conn.hello["batchRecords"]:
            return conn.close(4000, f"unexpected DATA {seq}")
        conn.previous = seq
        if seq <= writer.accepted:  # a duplicate: its credit comes back now
            conn.send(encode(CREDIT, struct.pack(">I", 1)))
            if seq <= writer.stored:
                conn.send(encode(ACK, struct.pack(">Q", writer.stored)))
            return
        writer.outstanding -= 1
        writer.accepted, writer.held = seq, writer.held + 1
        self.read += len(records)
        for apply in self.processors:
            records = [apply(record) for record in records]
        self.staged.append((writer, seq, records))
        self.pump()

    def welcome(self, conn, hello):
        if not hmac.compare_digest(hello["token"].encode(),
                                   self.input["token"].encode()):
            return conn.close(4001, "wrong token")  # before the stream check
        if hello["stream"] != self.input["name"]:
            return conn.close(4008, "unknown stream")
        if self.ended or self.stopping:
            return conn.close(1001, "runner stopping")
        writer = self.writers.setdefault(hello["writer"], Writer())
        holder = self.holder
        if holder not in (None, writer) and holder.link and holder.link.alive:
            return conn.close(4006, "another writer")
        if writer.link:  # the same writer again: its old connection is dead
            writer.link.close(4006, "replaced")
        self.holder, writer.link = writer, conn
        conn.writer, conn.hello, conn.previous = writer, hello, 0
        conn.next_seq = max(writer.accepted + 1, hello["firstSeq"])
        conn.ready, conn.heartbeat = True, HEARTBEAT_MS / 1000
        writer.outstanding = max(0, WINDOW - writer.held)
        conn.send_json(WELCOME, {
            "version": 1, "credit": writer.outstanding,
            "nextSeq": conn.next_seq, "heartbeatMs": HEARTBEAT_MS,
            "maxFrameBytes": MAX_FRAME})
        if writer.stored and writer.stored >= hello["firstSeq"]:
            conn.send(encode(ACK, struct.pack(">Q", writer.stored)))

    # -- the output side: a protocol writer --

    def connect(self, host, port):
        self.address = (host, port)
        if self.out is None and not self.finished:
            self.dial()

    def dial(self):
        self.retry_at = None
        try:
            sock = socket.create_connection(self.address, timeout=5)
        except OSError as error:
            log(f"cannot connect {self.output['name']}: {error}")
            return self.retry_later()
        sock.settimeout(None)
        self.out = Conn(sock, self, "out")
        self.conns.add(self.out)
        self.out.send_json(HELLO, {
            "protocol": "ca-streams", "version": 1,
            "stream": self.output["name"], "token": self.output["token"],
            "writer": self.writer_id,
            "firstSeq": self.frames[0][0] if self.frames else self.next_seq,
            "maxFrameBytes": MAX_FRAME, "batchRecords": BATCH})

    def on_output(self, conn, message):
        kind = message["type"]
        if not conn.ready:
            oldest = self.frames[0][0] if self.frames else self.next_seq
            if kind != "welcome" or not \
                    oldest <= message["nextSeq"] <= self.next_seq:
                return conn.close(4000, "expected a WELCOME to resume from")
            conn.ready, conn.heartbeat = True, message["heartbeatMs"] / 1000
            # Below nextSeq the reader has the frames: they wait for an ACK.
            self.sent_to = message["nextSeq"] - 1
            self.credit = message["credit"]
            self.peer_max, self.backoff = message["maxFrameBytes"], 0.1
        elif kind == "ack":
            if message["seq"] > self.sent_max:
                return conn.close(4000, "ACK of a DATA never sent")
            self.acked_to = max(self.acked_to, message["seq"])
        elif kind == "credit":
            self.credit += message["credit"]
        elif kind != "heartbeat":
            return conn.close(4000, f"unexpected {kind.upper()}")
        self.pump()

    def split(self, records):
        """Yields (records, JSON) parts that fit one DATA frame downstream."""
        for start in range(0, len(records), BATCH):
            part = records[start:start + BATCH]
            body = dumps(part)
            if 17 + len(body) <= self.peer_max:
                yield part, body
            elif len(part) == 1:
                raise Failure(f"Cannot write channel {self.output['name']}:"
                              " a record is larger than its maxFrameBytes")
            else:
                yield from self.split(part[:len(part) // 2])
                yield from self.split(part[len(part) // 2:])

    def pump(self):
        """Moves everything on: cuts staged batches into DATA frames, settles
        the input batches whose frames are all acknowledged (ACK and CREDIT
        upstream), sends frames within credit, and ends or stops."""
        out = self.out if self.out and self.out.ready and self.out.alive \
            else None
        while out and self.staged:
            writer, seq, records = self.staged.popleft()
            for part, body in self.split(records):
                header = struct.pack(">QI", self.next_seq, len(part))
                self.frames.append(
                    (self.next_seq, encode(DATA, header + body), len(part)))
                self.next_seq += 1
            self.origins.append((self.next_seq - 1, writer, seq))
        while self.frames and self.frames[0][0] <= self.acked_to:
            self.written += self.frames.popleft()[2]
        freed = {}
        while self.origins and self.origins[0][0] <= self.acked_to:
            _, writer, seq = self.origins.popleft()
            writer.stored, writer.held = seq, writer.held - 1
            freed[writer] = freed.get(writer, 0) + 1
        for writer, count in freed.items():
            if writer.link and writer.link.alive and writer.link.ready:
                writer.outstanding += count
                writer.link.send(encode(ACK, struct.pack(">Q", writer.stored))
                                 + encode(CREDIT, struct.pack(">I", count)))
        while out and self.credit > 0 and self.sent_to + 1 < self.next_seq:
            self.sent_to, self.credit = self.sent_to + 1, self.credit - 1
            self.sent_max = max(self.sent_max, self.sent_to)
            out.send(self.frames[self.sent_to - self.frames[0][0]][1])
        if self.stopping and (not self.frames or
                              time.monotonic() > self.stop_at):
            if out:
                out.close(1001, "runner stopping")
            self.finished = True
        elif out and self.ended and not self.staged and not self.frames \
                and self.end_sent is None:
            self.end_sent, self.end_at = out, self.end_at or time.monotonic()
            out.close(1000, "end of stream")

    def lost(self, conn):
        """The connection's reading thread ended: the socket is done."""
        self.conns.discard(conn)
        conn.sock.close()
        if conn.side == "in":
            if conn.ready and conn.writer.link is conn:
                conn.writer.link = None
            return
        self.out = None
        if conn.code in FATAL:
            raise Failure(
                f"Cannot write channel {self.output['name']}: closed with"
                f" {conn.code}", "CA_ERR_AUTH" if conn.code == 4001
                else "CA_ERR_PROTOCOL")
        if self.finished or self.stopping:
            self.finished = True
            return
        if self.end_sent is conn:
            self.end_sent = None  # no answer: say it again after reconnecting
        how = f"CLOSE {conn.code}" if conn.code else "no CLOSE"
        log(f"lost {self.output['name']} ({how}); reconnecting")
        self.retry_later()

    def retry_later(self):
        """Backoff with full jitter: 100 ms doubling to 5 s."""
        self.retry_at = time.monotonic() + random.uniform(0, self.backoff)
        self.backoff = min(self.backoff * 2, 5.0)

    def stop(self):
        if not self.stopping:
            self.stopping, self.stop_at = True, time.monotonic() + STOP_DRAIN_S
            try:  # stop accepting; shutdown wakes the accepting thread
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            for conn in [c for c in self.conns if c.side == "in"]:
                conn.close(1001, "runner stopping")
        self.pump()

    def tick(self, now):
        for conn in list(self.conns):
            conn.tick(now)
        if self.end_at and not self.finished \
                and now - self.end_at > END_WAIT_S:
            # Every frame is acknowledged; the reader's answer to our end of
            # stream was lost and it may be gone: done, as protocol.md says.
            log(f"no answer to the end of {self.output['name']}; done")
            self.finished = True
        if self.retry_at is not None and now >= self.retry_at \
                and not self.finished:
            self.dial()
        self.pump()


# ---- The control protocol --------------------------------------------------

def read_control():
    for line in iter(sys.stdin.readline, ""):
        try:
            message = json.loads(line) if line.strip() else None
        except ValueError:
            message = log("ignoring a control line that is not JSON")
        if isinstance(message, dict):
            events.put(("control", None, message))
    events.put(("control", None, {"type": "stop"}))  # EOF means stop


def line(segment):
    """Checks that a segment is a line between two channels, as this runner
    runs them: one input channel, processors each reading the one before,
    one output channel from the last (`ca validate` says so first, with the
    path). Sets segment["input"] and segment["output"]."""
    def refuse(why):
        raise Failure(f"Cannot run segment {segment.get('id')}: the Python"
                      f" runner runs a line of processors between two"
                      f" channels, not {why}", "CA_ERR_CONFIG")
    inputs, outputs = segment.get("inputs"), segment.get("outputs")
    processors = segment.get("processors")
    if not isinstance(processors, list) or not processors:
        refuse("an empty segment")
    for side, shape, channels in (("input", "source", inputs),
                                  ("output", "sink", outputs)):
        if not isinstance(channels, list) or not channels:
            refuse(f"a {shape} (the segment has no {side} channel)")
        if len(channels) > 1 or not isinstance(channels[0], dict):
            names = ", ".join(str(c.get("name")) for c in channels
                              if isinstance(c, dict))
            refuse(f"a graph ({len(channels)} {side} channels: {names})")
    before = inputs[0].get("from")
    for processor in processors:
        if not isinstance(processor, dict) or \
                processor.get("from") != [before]:
            refuse(f"a graph ({processor.get('name')!r} reads from"
                   f" {processor.get('from')!r}, not [{before!r}])"
                   if isinstance(processor, dict) else "a graph")
        before = processor.get("name")
    if outputs[0].get("from") != before:
        refuse(f"a graph (its output channel {outputs[0].get('name')!r}"
               f" is not written by the last processor {before!r})")
    segment["input"], segment["output"] = inputs[0], outputs[0]


def start(plan):
    if not isinstance(plan, dict) or \
            not isinstance(plan.get("segments"), list):
        raise Failure("Cannot start: the plan has no segments",
                      "CA_ERR_CONFIG")
    segments = []
    for segment in plan["segments"]:
        line(segment)
        processors = [create(p) for p in segment["processors"]]
        for channel in (segment["input"], segment["output"]):
            if channel.get("transport", "tcp") != "tcp":
                raise Failure(
                    f"Cannot run channel {channel.get('name')}: the Python"
                    f" runner speaks tcp only, not {channel['transport']}",
                    "CA_ERR_CONFIG")
        segments.append(Segment(segment, processors))
    for segment in segments:
        segment.listen()
    return segments


def progress(segments, state):
    """Records out of each processor (all of them map one to one)."""
    emit({"type": "progress", "positions": {}, "processors": {
        processor["name"]: {"state": state, "records": segment.read}
        for segment in segments for processor in segment.processor_plans}})


def run(segments):
    reported = 0.0
    while not all(segment.finished for segment in segments):
        try:
            kind, target, value = events.get(timeout=0.1)
        except queue.Empty:
            kind = None
        if kind == "control" and value.get("type") == "connect":
            matches = [s for s in segments
                       if s.output["name"] == value.get("channel")]
            for segment in matches:
                segment.connect(value.get("host", "127.0.0.1"), value["port"])
            if not matches:
                log(f"no output channel {value.get('channel')!r} to connect")
        elif kind == "control" and value.get("type") == "stop":
            for segment in segments:
                segment.stop()
        elif kind == "control" and value.get("type") == "abort":
            for conn in [c for s in segments for c in s.conns]:
                conn.close(1001, "runner aborted")
            raise Failure(value.get("reason") or "aborted by ca run")
        elif kind == "accept":
            target.accept(value)
        elif kind == "frame":
            target.segment.on_frame(target, value)
        elif kind == "bad":
            target.close(value.code, value.reason)
        elif kind == "end":
            target.segment.lost(target)
        now = time.monotonic()
        for segment in segments:
            segment.tick(now)
        if now - reported >= 0.25:
            progress(segments, "running")
            reported = now


def main(argv):
    if argv == ["--list"]:
        emit([{"name": name, "kind": "processor", "description": description,
               "args": schema(fields)}
              for name, (description, fields, _) in PROCESSORS.items()])
        return 0
    # Stop signals are for `ca run`, which stops the runners in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    emit({"type": "hello", "runtime": "python",
          "version": platform.python_version(), "pid": os.getpid()})
    threading.Thread(target=read_control, daemon=True).start()
    try:
        message = events.get()[2]
        if message.get("type") == "stop":
            return 0  # stopped before it started
        if message.get("type") != "start":
            raise Failure(f"Cannot start: expected a start message, got"
                          f" {json.dumps(message.get('type'))}")
        segments = start(message.get("plan"))
        run(segments)
    except Exception as error:  # a Failure, or a bug: report it, exit 1
        if not isinstance(error, Failure):
            traceback.print_exc()
            error = Failure(f"Cannot run: {error!r}")
        config = error.code == "CA_ERR_CONFIG"
        emit({"type": "error", "message": str(error), "code": error.code,
              "config": config,
              **({"path": error.path} if error.path else {})})
        return 2 if config else 1
    progress(segments, "stopped")
    emit({"type": "done",
          "recordsRead": sum(segment.read for segment in segments),
          "recordsWritten": sum(segment.written for segment in segments)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
