/**
 * The console's only stylesheet, inlined in every page (one request per
 * page, nothing to cache-bust). Colours meet WCAG 2.2 AA contrast on white;
 * focus is always visible. The Content-Security-Policy allows exactly this
 * text by hash, and no script at all.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64, utf8 } from '../../core/bytes.js';

export const CSS = `
*{box-sizing:border-box}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1b1b;background:#fff}
body{margin:0}
a{color:#0b4fb3}
a:hover{color:#063a85}
:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem}
header.top{background:#14213d;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header.top a{color:#fff}
header.top .brand{font-weight:700;text-decoration:none;font-size:1.1rem}
header.top nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0}
header.top nav a[aria-current=page]{text-decoration-thickness:3px}
header.top .who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
header.top .who form{margin:0}
header.top button{background:#fff;color:#14213d;border:0}
main{max-width:76rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.75rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
fieldset{border:1px solid #8a8a8a;border-radius:4px;margin:0 0 1rem;padding:.5rem 1rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
.field{display:flex;flex-direction:column;margin:.35rem 0;min-width:10rem}
.field.wide{flex:1 1 24rem}
label{font-weight:600;font-size:.95rem}
.hint{font-size:.85rem;color:#4a4a4a}
input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #5c5c5c;border-radius:3px;background:#fff;color:#1b1b1b;max-width:100%}
textarea{min-height:4.5rem;width:100%}
input[aria-invalid=true],select[aria-invalid=true],textarea[aria-invalid=true]{border:2px solid #b3261e;background:#fff5f5}
.error-text{color:#b3261e;font-weight:600;font-size:.9rem}
button,.button{font:inherit;font-weight:600;background:#0b4fb3;color:#fff;border:1px solid #0b4fb3;border-radius:4px;padding:.45rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#0b4fb3}
.box{border:1px solid #8a8a8a;border-radius:4px;padding:.75rem 1rem;margin:.75rem 0}
.notice{border-left:6px solid #0b4fb3;background:#eef4fc;padding:.75rem 1rem;margin:1rem 0}
.alert{border:2px solid #b3261e;border-left-width:8px;background:#fff5f5;padding:.75rem 1rem;margin:1rem 0}
.alert h2,.alert h3{margin-top:0;color:#8c1d18}
.ok{border-left:6px solid #1e7b34;background:#eff8f1;padding:.75rem 1rem;margin:1rem 0}
.warn{border-left:6px solid #a15c00;background:#fff7e6;padding:.75rem 1rem;margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
.table-wrap{overflow-x:auto;max-width:100%}
td{overflow-wrap:break-word}
td.free{overflow-wrap:anywhere;min-width:8rem}
form.narrow{max-width:40rem}
.nowrap{white-space:nowrap;overflow-wrap:normal}
pre.wrap{white-space:pre-wrap;margin:.25rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #b5b5b5;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f2f5}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.88rem;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:3px;padding:0 .4rem;font-weight:600;font-size:.9rem;border:1px solid}
.badge.hit{background:#e7f5ea;color:#0f5223;border-color:#1e7b34}
.badge.no_hit{background:#f3f3f3;color:#333;border-color:#777}
.badge.index_syncing{background:#fff7e6;color:#6b3d00;border-color:#a15c00}
.badge.not_searched{background:#f3f3f3;color:#333;border-color:#777;border-style:dashed}
.badge.error,.badge.timeout{background:#fff5f5;color:#8c1d18;border-color:#b3261e}
.badge.strong{background:#0f5223;color:#fff;border-color:#0f5223}
.badge.probable{background:#1e5fa8;color:#fff;border-color:#1e5fa8}
.badge.possible{background:#fff7e6;color:#6b3d00;border-color:#a15c00}
.peer{border:1px solid #8a8a8a;border-radius:4px;padding:.75rem 1rem;margin:.75rem 0}
.peer h3{margin:0 0 .25rem}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.25rem 0}
dl.kv dt{font-weight:600}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.receipt{border:1px dashed #1e7b34;border-radius:4px;padding:.5rem .75rem;margin:.5rem 0;background:#fbfefb}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(34rem,1fr));gap:1rem}
figure{margin:0;border:1px solid #b5b5b5;border-radius:4px;padding:.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}
svg{max-width:100%;height:auto}
details{margin:.25rem 0}
summary{cursor:pointer}
.pager{display:flex;gap:1rem;align-items:center}
.muted{color:#4a4a4a}
`.trim();

/** CSP source expression allowing exactly the stylesheet above. */
export const CSS_HASH = `'sha256-${toBase64(sha256(utf8(CSS)))}'`;
