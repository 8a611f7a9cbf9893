// Checks an HTML report in Debian's chromium, driven by puppeteer-core:
// axe-core's WCAG 2.1 A and AA rules, and the print layout (every exposure
// and page entry kept whole on a printed A4 page, and a PDF printed).
// Prints one JSON object; tests/it/report_browser.rs reads it.
//
//   node tests/browser/check_report.mjs REPORT.html OUT_DIR
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const [, , report, out] = process.argv;
const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: `${out}/profile`,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  // The report's policy forbids every script, axe's too: the check goes
  // around it, the report is not changed.
  await page.setBypassCSP(true);
  await page.setViewport({ width: 1200, height: 1000 });
  await page.goto(`file://${report}`, { waitUntil: 'load' });
  await page.addScriptTag({ content: axe });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  // Printed on A4 (794 x 1123 CSS px at 96 dpi, 10 mm margins): each
  // exposure and page entry is kept whole (break-inside: avoid) when it
  // fits a page.
  await page.emulateMediaType('print');
  await page.setViewport({ width: 718, height: 1047 });
  // An exposure with more copies than a page holds breaks between the
  // rows of its tables, its head (picture, why, what to do) kept whole.
  const blocks = await page.evaluate(() => [...document.querySelectorAll('div.exp, div.page')].map((e) => ({
    id: e.id || e.querySelector('h3')?.textContent || '',
    avoid: getComputedStyle(e).breakInside,
    height: e.getBoundingClientRect().height,
    head: e.querySelector('div.head') ? {
      avoid: getComputedStyle(e.querySelector('div.head')).breakInside,
      height: e.querySelector('div.head').getBoundingClientRect().height,
    } : null,
    rows_avoid: [...e.querySelectorAll('tr')].every((r) => getComputedStyle(r).breakInside === 'avoid'),
  })));
  const pdf = await page.pdf({
    path: `${out}/report.pdf`, format: 'A4', printBackground: true,
    margin: { top: '10mm', bottom: '10mm', left: '10mm', right: '10mm' },
  });
  console.log(JSON.stringify({
    violations: result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    })),
    passes: result.passes.length,
    blocks,
    page_height: 1047,
    pdf_bytes: pdf.length,
  }));
} finally {
  await browser.close();
}
