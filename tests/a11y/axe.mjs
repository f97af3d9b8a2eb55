// Runs axe-core with the WCAG 2.0/2.1/2.2 A and AA tags on every page given (paths or URLs) in
// headless Chromium, saves a full-page screenshot beside each file for a person to look at, and
// exits 1 on any violation. Usage: node axe.mjs PAGE...
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const pages = process.argv.slice(2);
if (pages.length === 0) {
  console.error("usage: node axe.mjs PAGE...");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let violations = 0;
for (const target of pages) {
  const url = /^https?:|^file:/.test(target) ? target : pathToFileURL(resolve(target)).href;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  if (!/^https?:/.test(target)) {
    await page.screenshot({ path: resolve(target) + ".png", fullPage: true });
  }
  for (const v of result.violations) {
    violations += 1;
    console.log(`FAIL ${target}: ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes.slice(0, 5)) console.log(`    ${node.target.join(" ")}: ${node.failureSummary.split("\n").join(" ")}`);
  }
  if (result.violations.length === 0) console.log(`PASS ${target}: no axe violations (${result.passes.length} rules passed)`);
  await context.close();
}
await browser.close();
console.log(`${pages.length} pages checked, ${violations} violations`);
process.exit(violations === 0 ? 0 : 1);
