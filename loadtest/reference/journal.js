// Append-only, hash-chained message log with group commit.
//
// One line per message: "<hash> <prev> <record>\n", where <record> is the message's
// canonical JSON (fixed key order), <prev> the hash of the previous record of the same
// conversation (64 zeros for its first) and <hash> = hex(SHA-256(prev bytes || record
// bytes)). Messages appended during one event-loop turn form a batch: one write, one
// fdatasync, then every callback of the batch. While a batch is being synced the next one
// keeps collecting, so a batch is one turn's messages, or all that arrived during the
// previous batch's write and fdatasync. Checked by loadtest/chain.py.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const GENESIS = { raw: Buffer.alloc(32), hex: "0".repeat(64) };

function canonicalRecord(message) {
  return JSON.stringify({
    conversation_id: message.conversation_id, seq: message.seq, sender: message.sender,
    client_msg_id: message.client_msg_id ?? null, sent_at: message.sent_at, text: message.text,
  });
}

function chainHash(prev, record) {
  const raw = crypto.createHash("sha256").update(prev.raw).update(record, "utf8").digest();
  return { raw, hex: raw.toString("hex") };
}

/** Creates ``logPath`` (it must not exist: the chain heads live in memory) and makes the
 * new directory entry durable before the first record is written. */
function createLogFile(logPath) {
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL
    | fs.constants.O_APPEND;
  const fd = fs.openSync(logPath, flags, 0o600);
  const directory = fs.openSync(path.dirname(path.resolve(logPath)), "r");
  try {
    fs.fsyncSync(directory);
  } finally {
    fs.closeSync(directory);
  }
  return fd;
}

function writeAll(fd, buffer, done) {
  fs.write(fd, buffer, 0, buffer.length, null, (error, written) => {
    if (error) return done(error);
    if (written < buffer.length) return writeAll(fd, buffer.subarray(written), done);
    done(null);
  });
}

function newBatch() {
  return { lines: [], messages: [], callbacks: [] };
}

class Journal {
  constructor(logPath) {
    this.path = logPath;
    this.fd = createLogFile(logPath);
    this.heads = new Map();
    this.batch = newBatch();
    this.unsynced = new Map();
    this.scheduled = false;
    this.syncing = false;
    this.failure = null;
    this.idleWaiters = [];
    this.counts = { records: 0, batches: 0, largest_batch: 0, failed: false };
  }

  /** Chains and queues ``message``; ``done(error)`` runs after its batch's fdatasync. */
  append(message, done) {
    if (this.failure !== null) return process.nextTick(done, this.failure);
    const record = canonicalRecord(message);
    const prev = this.heads.get(message.conversation_id) || GENESIS;
    const hash = chainHash(prev, record);
    this.heads.set(message.conversation_id, hash);
    const batch = this.batch;
    batch.lines.push(`${hash.hex} ${prev.hex} ${record}\n`);
    batch.messages.push(message);
    batch.callbacks.push(done);
    this.unsynced.set(message, batch);
    this.schedule();
  }

  /** ``done(error)`` once an appended ``message`` is durable (at once if it already is). */
  whenDurable(message, done) {
    if (this.failure !== null) return process.nextTick(done, this.failure);
    const batch = this.unsynced.get(message);
    if (batch === undefined) return process.nextTick(done, null);
    batch.callbacks.push(done);
  }

  /** Drops a closed conversation's chain head: no record can follow its close. */
  forget(conversationId) {
    this.heads.delete(conversationId);
  }

  stats() {
    return { ...this.counts, path: this.path };
  }

  /** ``done()`` once nothing is waiting to be written or synced. */
  whenIdle(done) {
    if (!this.syncing && this.batch.lines.length === 0) return done();
    this.idleWaiters.push(done);
  }

  schedule() {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    if (this.failure !== null || this.batch.lines.length === 0) return;
    const batch = this.batch;
    this.batch = newBatch();
    this.syncing = true;
    writeAll(this.fd, Buffer.from(batch.lines.join(""), "utf8"), (writeError) => {
      if (writeError) return this.fail(batch, writeError);
      fs.fdatasync(this.fd, (syncError) => {
        if (syncError) return this.fail(batch, syncError);
        this.committed(batch);
      });
    });
  }

  committed(batch) {
    this.syncing = false;
    this.counts.records += batch.messages.length;
    this.counts.batches += 1;
    this.counts.largest_batch = Math.max(this.counts.largest_batch, batch.messages.length);
    for (const message of batch.messages) this.unsynced.delete(message);
    for (const done of batch.callbacks) done(null);
    if (this.batch.lines.length > 0) this.schedule();
    else this.notifyIdle();
  }

  /** A failed write or sync leaves the file's tail unknown: the journal stops accepting. */
  fail(batch, error) {
    this.syncing = false;
    this.failure = error;
    this.counts.failed = true;
    process.stderr.write(`journal: ${error.code || error.message}; no message is accepted any more\n`);
    const waiting = [batch, this.batch];
    this.batch = newBatch();
    this.unsynced.clear();
    for (const each of waiting) for (const done of each.callbacks) done(error);
    this.notifyIdle();
  }

  notifyIdle() {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const done of waiters) done();
  }
}

module.exports = { Journal };
