// scan.js: the /verify page. Reads a QR code from the camera, an uploaded image or pasted text.
// A link QR opens /v/{index}#fingerprint on this registry; an offline QR (PI1:...) is decoded and
// verified right here, with nothing but the trust list embedded in the page.

import {
  b64urlEncode,
  isOfflinePayload,
  parseLink,
  parseTrustList,
  verifyOffline,
  VerifyError,
} from "./verify.js";
import { pageData, renderResult, setVerdict, text } from "./page.js";

const data = pageData();
const { strings } = data;
const status = document.getElementById("scan-status");
const video = document.getElementById("camera");
const startButton = document.getElementById("camera-start");
const stopButton = document.getElementById("camera-stop");
const langQuery = data.lang === "id" ? "" : `?lang=${data.lang}`;
const MAX_SIDE = 1600; // larger images are scaled down before decoding

function say(key, params) {
  status.textContent = text(strings, key, params);
}

// The QR reader: the browser's BarcodeDetector where it exists, else the vendored jsQR.
let detector = null;
async function qrReader() {
  if (detector) return detector;
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const native = new window.BarcodeDetector({ formats: ["qr_code"] });
        detector = {
          name: "BarcodeDetector",
          read: async (canvas) => (await native.detect(canvas))[0]?.rawValue ?? null,
        };
        return detector;
      }
    } catch {
      // fall through to jsQR
    }
  }
  detector = {
    name: "jsQR",
    read: async (canvas) => {
      const context = canvas.getContext("2d", { willReadFrequently: true });
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      return window.jsQR(image.data, image.width, image.height)?.data ?? null;
    },
  };
  return detector;
}

// Draw a video frame or an image onto a canvas no larger than MAX_SIDE, and read a QR from it.
async function readFrom(source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas
    .getContext("2d", { willReadFrequently: true })
    .drawImage(source, 0, 0, canvas.width, canvas.height);
  return (await qrReader()).read(canvas);
}

// What to do with a QR code's text.
async function handle(raw) {
  const value = raw.trim();
  if (isOfflinePayload(value)) return showOffline(value);
  // Exactly the link QRs registry/verify reads ({base}/v/{index}#{fingerprint}), nothing looser.
  let link;
  try {
    link = parseLink(value);
  } catch {
    return say("scan.unknown");
  }
  const host = new URL(link.base).host;
  // Always verify here, with this page's pinned keys: the fingerprint makes any other record fail.
  if (host !== location.host) say("scan.other_host", { host });
  else say("scan.opening", { index: link.index });
  location.assign(`/v/${link.index}${langQuery}#${b64urlEncode(link.fragment)}`);
}

async function showOffline(payload) {
  const section = document.getElementById("offline");
  section.hidden = false;
  document.getElementById("checks").replaceChildren();
  document.getElementById("signed").hidden = true;
  setVerdict(strings, "checking", "offline.checking");
  let result;
  try {
    result = await verifyOffline(payload, await parseTrustList(data.trust));
  } catch (error) {
    const code = error instanceof VerifyError ? error.code : "internal";
    result = {
      verdict: "invalid",
      checks: [{ id: "payload", status: "fail", code, params: error.params ?? {} }],
      record: {},
    };
  }
  window.verification = result;
  renderResult(data, result, { offline: true });
  const online = document.getElementById("offline-online");
  if (result.verdict !== "invalid" && result.record.fragment) {
    online.href = `/v/${result.record.index}${langQuery}#${result.record.fragment}`;
    online.hidden = false;
  } else {
    online.hidden = true;
  }
  section.scrollIntoView({ block: "start" });
}

// --- camera ---------------------------------------------------------------------------------
let stream = null;
let timer = null;

function stopCamera() {
  clearTimeout(timer);
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  video.hidden = true;
  stopButton.hidden = true;
  startButton.hidden = false;
}

async function scanFrame() {
  if (!stream) return;
  if (video.readyState >= 2 && video.videoWidth > 0) {
    const found = await readFrom(video, video.videoWidth, video.videoHeight);
    if (found) {
      stopCamera();
      return handle(found);
    }
  }
  timer = setTimeout(scanFrame, 200);
}

startButton.addEventListener("click", async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" },
      audio: false,
    });
  } catch (error) {
    return say("scan.camera_error", { why: error.name || String(error) });
  }
  video.srcObject = stream;
  video.hidden = false;
  startButton.hidden = true;
  stopButton.hidden = false;
  await video.play();
  const reader = await qrReader();
  status.textContent = `${text(strings, "scan.looking")} ${text(strings, "scan.decoder", { name: reader.name })}`;
  scanFrame();
});
stopButton.addEventListener("click", stopCamera);

// --- upload ---------------------------------------------------------------------------------
document.getElementById("upload").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  say("scan.looking");
  let found = null;
  try {
    const bitmap = await createImageBitmap(file);
    found = await readFrom(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
  } catch {
    found = null;
  }
  if (!found) return say("scan.none");
  status.textContent = "";
  return handle(found);
});

// --- paste ----------------------------------------------------------------------------------
document.getElementById("paste-form").addEventListener("submit", (event) => {
  event.preventDefault();
  status.textContent = "";
  handle(document.getElementById("paste").value);
});

document.body.dataset.ready = "true";
