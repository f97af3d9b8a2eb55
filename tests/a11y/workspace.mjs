// The coordinator's workspace in a real browser, driven by keyboard and mouse as a person would:
// sign in, upload a CSV with a bad row and read the error, upload the corrected file, resolve an
// exception from the dashboard's queue, open a person's page, and sign out. axe-core (WCAG 2.2 A/AA tags) checks every
// page on the way, including the page of errors; a screenshot of each is saved in OUT.
// Usage: BASE=http://127.0.0.1:PORT USERNAME=… PASSWORD=… OUT=DIR node workspace.mjs
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const { BASE, USERNAME, PASSWORD } = process.env;
const OUT = process.env.OUT || ".";
// A fund to pay the test receipts into (the basic acceptance scenario's, unless told otherwise).
const AGREEMENT = process.env.AGREEMENT || "AG-ANN";
const STREAM = process.env.STREAM || "ASC";
if (!BASE || !USERNAME || !PASSWORD) {
  console.error("set BASE, USERNAME and PASSWORD");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await (await browser.newContext()).newPage();
let failures = 0;
function expect(condition, what) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}`);
  }
}
async function axe(name) {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  for (const v of result.violations) {
    console.log(`FAIL axe ${name}: ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes.slice(0, 5)) console.log(`    ${node.target.join(" ")}`);
  }
  expect(result.violations.length === 0, `axe: no violations on ${name}`);
}

// Signing in: the dashboard asks for it and comes back afterwards; typed, then Enter.
await page.goto(`${BASE}/`);
expect(page.url().startsWith(`${BASE}/login`), "the dashboard sends a visitor to sign in");
await axe("sign-in");
await page.getByLabel("Username").fill(USERNAME);
await page.getByLabel("Password").fill(PASSWORD);
await page.keyboard.press("Enter");
await page.waitForURL(`${BASE}/`);
expect(await page.getByRole("heading", { name: "Dashboard" }).isVisible(), "signed in, the dashboard shows");
await axe("dashboard");

// A person's page, reached from the funds table: plan, money, visits, statements.
await page.locator(`a[href^="/people/"]`).first().click();
await page.waitForURL(/\/people\//);
expect(await page.getByRole("heading", { name: /Outcomes in the plan/ }).first().isVisible(), "the person page shows the plan");
await axe("person");
await page.getByRole("link", { name: "Dashboard" }).click();
await page.waitForURL(`${BASE}/`);

// An upload with a bad row: nothing imported, the row named.
await page.getByRole("link", { name: "Import records" }).click();
await page.waitForURL(`${BASE}/imports`);
const header = "receipt_ref,received_on,payer,agreement_ref,stream_ref,amount\n";
const good = `R-PW1,2026-03-20,commissioner,${AGREEMENT},${STREAM},25.00\n`;
const bad = header + good + `R-PW2,2026-03-21,commissioner,${AGREEMENT},${STREAM},25.001\n`;
await page.getByLabel("CSV files").setInputFiles({ name: "receipts.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
await page.getByRole("button", { name: "Check and import" }).click();
await page.waitForLoadState();
const problems = page.getByRole("alert");
expect(await problems.getByText("Nothing was imported: 1 problem(s)").isVisible(), "the bad upload is refused as a whole");
const rows = problems.getByRole("row").filter({ hasText: "receipts.csv" });
expect((await rows.count()) === 1, "one problem row");
expect(/receipts\.csv\s+3\s+amount/.test(await rows.first().innerText()), "the error names file, line 3 and the amount column");
await axe("import-errors");

// The corrected file goes in.
await page.getByLabel("CSV files").setInputFiles({ name: "receipts.csv", mimeType: "text/csv", buffer: Buffer.from(header + good) });
await page.getByRole("button", { name: "Check and import" }).click();
await page.waitForLoadState();
expect(await page.getByRole("heading", { name: "Imported" }).isVisible(), "the corrected file is imported");

// Resolving the oldest open exception from the queue, by keyboard.
await page.goto(`${BASE}/`);
const firstNote = page.locator("form.resolve textarea").first();
const key = await page.locator("form.resolve input[name=key]").first().inputValue();
await firstNote.focus();
await page.keyboard.type("Rang the family; the visit is rebooked for Thursday");
await page.keyboard.press("Tab");
await page.keyboard.press("Enter");
await page.waitForURL(/resolved=/);
expect(await page.getByRole("status").getByText(`Exception ${key} is resolved.`).isVisible(), `exception ${key} is resolved`);
expect((await page.locator(`form.resolve input[name=key][value="${key}"]`).count()) === 0, "it has left the queue");

await page.getByRole("button", { name: "Sign out" }).click();
await page.waitForURL(`${BASE}/login`);
await page.goto(`${BASE}/`);
expect(page.url().startsWith(`${BASE}/login`), "signed out, the dashboard asks to sign in again");

await browser.close();
writeFileSync(join(OUT, "workspace.result"), failures === 0 ? "ok\n" : `${failures} failures\n`);
console.log(failures === 0 ? "the workspace works in a browser" : `${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
