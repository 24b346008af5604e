/* Shared by the till, the wallet and the console: API calls, sessions, keys, DOM, formats. */
"use strict";

const LJ = (() => {
  const ZONE = "Asia/Shanghai";
  let position = 0; // highest Lianjie-Position seen: reads wait for the views to reach it

  class ApiError extends Error {
    constructor(status, slug, detail, network) {
      super(detail || slug);
      this.status = status;
      this.slug = slug;
      this.detail = detail;
      this.network = !!network;
    }
  }

  /** A small JSON store in sessionStorage (a tab's login lives and dies with the tab). */
  function session(name) {
    return {
      get() {
        try {
          return JSON.parse(sessionStorage.getItem(name) || "null");
        } catch (e) {
          return null;
        }
      },
      set(value) {
        sessionStorage.setItem(name, JSON.stringify(value));
      },
      clear() {
        sessionStorage.removeItem(name);
      },
    };
  }

  /** A random idempotency key: one per user action, reused by every retry of that action. */
  function newKey(prefix) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return (prefix || "web") + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Call the API. Network failures and 502/503/504 are retried `retries` times with the
   * same headers, so a keyed command is done once however often it is sent.
   */
  async function api(path, options = {}) {
    const { method = "GET", body, token, key, retries = method === "GET" ? 2 : 0, raw = false } = options;
    const headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    if (position) headers["Lianjie-After"] = String(position);
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store",
        });
      } catch (error) {
        if (attempt < retries) {
          await sleep(300 * (attempt + 1));
          continue;
        }
        throw new ApiError(0, "network", "网络连接失败", true);
      }
      if ([502, 503, 504].includes(response.status) && attempt < retries) {
        await sleep(500 * (attempt + 1));
        continue;
      }
      const written = Number(response.headers.get("Lianjie-Position") || 0);
      if (written > position) position = written;
      if (!response.ok) {
        let problem = {};
        try {
          problem = await response.json();
        } catch (e) {
          /* not JSON */
        }
        const slug = String(problem.type || "").split("/").pop() || "http-" + response.status;
        throw new ApiError(response.status, slug, problem.detail || response.statusText);
      }
      if (raw) return response;
      return response.status === 204 ? null : response.json();
    }
  }

  /** An image from an authenticated endpoint, as an object URL for <img src>. */
  async function imageUrl(path, token) {
    const response = await api(path, { token, raw: true });
    return URL.createObjectURL(await response.blob());
  }

  /** Build an element: el("button", {class: "x", onclick: f}, "text", child, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (selector, root) => (root || document).querySelector(selector);

  function money(fen) {
    const yuan = fen / 100;
    return "¥" + (Number.isInteger(yuan) ? String(yuan) : yuan.toFixed(2));
  }

  const dateTime = new Intl.DateTimeFormat("zh-CN", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dateOnly = new Intl.DateTimeFormat("zh-CN", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  });

  function when(iso) {
    return iso ? dateTime.format(new Date(iso)).replace(/\//g, "-") : "";
  }

  function day(iso) {
    return iso ? dateOnly.format(new Date(iso)).replace(/\//g, "-") : "";
  }

  /** ABCDEFGHJKMNPQRS → ABCD-EFGH-JKMN-PQRS, as printed. */
  function groupCode(code) {
    return String(code).replace(/-/g, "").replace(/(.{4})(?=.)/g, "$1-");
  }

  return { api, ApiError, session, newKey, imageUrl, el, $, money, when, day, groupCode, sleep };
})();
