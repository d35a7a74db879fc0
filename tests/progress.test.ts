import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { displayBundle, displaysFlushed, formatDuration, ProgressBar, tqdm } from "../lib/notebook";
import type { ProgressStream } from "../lib/notebook";
import { withFakeTslab } from "./fake-tslab";

/** A stream that records writes; `isTTY` decides tty vs log mode. */
function recorder(isTTY: boolean): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns: isTTY ? 120 : undefined, writes, write: (text: string) => writes.push(text) };
}

/** A clock the test moves by hand. */
function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

// The suite must not depend on how the developer's shell set this.
delete process.env.HOLLM_PROGRESS;

describe("ProgressBar, log mode (stderr is not a TTY)", () => {
  test("prints whole lines, at most one per new 10 %, and a final line", () => {
    const stream = recorder(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 100, desc: "train", stream, now: clock.now });
    for (let i = 0; i < 100; i++) {
      clock.advance(200); // 20 s in all: every 10 % step is at least 1 s after the last line
      bar.update();
    }
    bar.close();
    const lines = stream.writes;
    assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")), "plain lines, no carriage returns");
    assert.equal(lines.length, 10, lines.join(""));
    assert.match(lines[0], /^train:  10%\|██▌ +\| 10\/100 \[00:02<00:18, 5\.00it\/s\]\n$/);
    assert.match(lines[9], /^train: 100%\|█{25}\| 100\/100 \[00:20<00:00, 5\.00it\/s\]\n$/);
  });

  test("a fast loop prints only the final line", () => {
    const stream = recorder(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 1000, stream, now: clock.now });
    for (let i = 0; i < 1000; i++) {
      clock.advance(0.5);
      bar.update();
    }
    bar.close();
    bar.close(); // twice is fine
    assert.equal(stream.writes.length, 1);
    assert.match(stream.writes[0], /^100%\|.*\| 1000\/1000 /);
  });

  test("a slow loop without a total still prints every logIntervalMs", () => {
    const stream = recorder(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ unit: "batch", stream, now: clock.now, logIntervalMs: 5000 });
    for (let i = 0; i < 10; i++) {
      clock.advance(2000);
      bar.update();
    }
    bar.setPostfix({ loss: 1.23456, step: 10 });
    bar.close();
    // Updates every 2 s, a line once 5 s passed: at 6, 12 and 18 s, then the final one at 20 s.
    assert.equal(stream.writes.length, 4);
    assert.match(stream.writes.at(-1)!, /^10batch \[00:20, 2\.00s\/batch, loss=1\.235, step=10\]\n$/);
  });
});

describe("ProgressBar, tty mode", () => {
  test("redraws one line with \\r, throttled, newline on close", () => {
    const stream = recorder(true);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 100, desc: "eval", stream, now: clock.now });
    for (let i = 0; i < 100; i++) {
      clock.advance(10); // 1 s in all -> about 10 redraws at 100 ms
      bar.update();
      if (i === 50) bar.setPostfix({ acc: 0.5 });
    }
    bar.close();
    const writes = stream.writes;
    assert.ok(writes.length >= 9 && writes.length <= 13, `${writes.length} redraws`);
    assert.ok(writes.every((w) => w.startsWith("\r")));
    assert.equal(writes.filter((w) => w.includes("\n")).length, 1);
    assert.match(writes.at(-1)!, /^\reval: 100%\|█{25}\| 100\/100 \[00:01<00:00, 100\.00it\/s, acc=0\.5000\]\x1b\[K\n$/);
  });
});

describe("ProgressBar in a notebook", () => {
  test("one display output, updated in place under one display_id", async () => {
    await withFakeTslab((calls) => {
      const clock = fakeClock();
      const bar = new ProgressBar({ total: 10, desc: "<steps>", now: clock.now });
      for (let i = 0; i < 10; i++) {
        clock.advance(150);
        bar.update();
      }
      bar.close();
      assert.equal(calls[0].update, false, "first message is display_data");
      assert.ok(calls.length > 2 && calls.slice(1).every((c) => c.update), "then update_display_data");
      const ids = new Set(calls.map((c) => c.content.transient.display_id));
      assert.equal(ids.size, 1);
      assert.match([...ids][0]!, /^hollm-progress-/);
      const last = calls.at(-1)!.content.data;
      assert.match(String(last["text/plain"]), /^<steps>: 100%\|.*\| 10\/10 /);
      assert.match(String(last["text/html"]), /^<div.*&lt;steps&gt;.*width:100\.0%.*100% 10\/10/);
    });
  });
});

describe("tqdm", () => {
  test("counts the items, takes the total from an array and closes on break", () => {
    const stream = recorder(false);
    const seen: number[] = [];
    const it = tqdm([1, 2, 3, 4, 5], { stream, desc: "items" });
    for (const x of it) {
      seen.push(x);
      if (x === 3) break;
    }
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(it.bar.total, 5);
    assert.equal(it.bar.n, 2, "the item the loop broke on is not counted as done");
    assert.equal(stream.writes.length, 1, "closed: final line printed");
    assert.match(stream.writes[0], /^items:  40%/);
  });

  test("works with for await over an async generator", async () => {
    const stream = recorder(false);
    async function* batches() {
      for (let i = 0; i < 4; i++) yield i;
    }
    let sum = 0;
    for await (const b of tqdm(batches(), { stream, total: 4 })) sum += b;
    assert.equal(sum, 6);
    assert.match(stream.writes.at(-1)!, /100%.*4\/4/);
  });

  test("HOLLM_PROGRESS=off silences the bar", () => {
    const stream = recorder(true);
    process.env.HOLLM_PROGRESS = "off";
    try {
      for (const _ of tqdm([1, 2, 3], { stream })) void _;
    } finally {
      delete process.env.HOLLM_PROGRESS;
    }
    assert.equal(stream.writes.length, 0);
  });
});

test("formatDuration", () => {
  assert.equal(formatDuration(0), "00:00");
  assert.equal(formatDuration(75), "01:15");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(NaN), "?");
});

describe("displays while tslab's socket is busy", () => {
  test("a display refused with 'Socket is busy writing' goes out later, in order; waiting updates are coalesced", async () => {
    const sent: Array<{ text: unknown; update: boolean }> = [];
    let busyFor = 3; // the next 3 sends fail as zeromq.js does while a send is in flight
    const writer = (content: { data: Record<string, unknown> }, update: boolean) => {
      if (busyFor > 0) {
        busyFor--;
        throw new Error("Socket is busy writing; only one send operation may be in progress at any time");
      }
      sent.push({ text: content.data["text/plain"], update });
    };
    const show = (text: string, update: boolean, displayId = "bar") =>
      displayBundle({ data: { "text/plain": text }, metadata: {} }, { writer, displayId, update });
    show("first", false, "other");
    show("frame 1", true);
    show("frame 2", true); // replaces frame 1 while it waits
    show("final", true);   // replaces frame 2
    assert.deepEqual(sent, [], "nothing sent while busy");
    await displaysFlushed();
    assert.deepEqual(sent, [{ text: "first", update: false }, { text: "final", update: true }]);
    // Other errors are not swallowed.
    assert.throws(() => displayBundle({ data: {}, metadata: {} }, { writer: () => { throw new Error("boom"); } }), /boom/);
  });
});
