/* The till: one scan box that keeps focus; member cards, coupons, redeem once, undo, purchases. */
"use strict";

(() => {
  const { api, session, newKey, el, $, money, when, day, groupCode } = LJ;
  const saved = session("lianjie.till");
  const scanBox = $("#scan");
  const result = $("#result");
  const statusLine = $("#status");
  const dialog = $("#camera");
  let lookupSeq = 0;
  let ticker = null;

  const MESSAGES = {
    network: "网络连接失败：请检查网络后重试（重试不会重复核销）",
    "code-not-recognised": "无法识别这个码：会员码每分钟更新，请让顾客刷新后再扫",
    "coupon-not-found": "没有这张券，请核对券码",
    "coupon-already-redeemed": "这张券已经核销过了",
    "coupon-expired": "这张券已过期",
    "not-valid-at-store": "这张券本店不可用",
    "coupon-not-yet-valid": "这张券尚未生效",
    "coupon-voided": "这张券已作废",
    "redemption-not-reversible": "不能撤销：已超过撤销时限，或不是本店核销的",
    "store-closed": "本店已关闭，不能操作",
    "rate-limited": "操作太频繁，请稍后再试",
    forbidden: "没有权限做这个操作",
    busy: "系统繁忙，请重试",
    "member-not-found": "会员资料还在同步，请稍后再扫",
    "invalid-credentials": "账号或密码不对",
  };

  const token = () => (saved.get() || {}).token;

  function explain(error) {
    if (error.slug === "invalid-request") return "输入有误：" + (error.detail || "");
    return MESSAGES[error.slug] || error.detail || "出错了";
  }

  function say(text, bad) {
    statusLine.textContent = text;
    statusLine.classList.toggle("bad", !!bad);
  }

  function log(text) {
    const list = $("#log");
    list.prepend(el("li", {}, when(new Date().toISOString()).slice(11) + "  " + text));
    while (list.children.length > 8) list.lastChild.remove();
  }

  function focusScan() {
    if (!$("#till-view").hidden && !dialog.open) scanBox.focus();
  }

  async function handle(error) {
    if (["not-authenticated", "token-expired"].includes(error.slug)) {
      saved.clear();
      showLogin("登录已过期，请重新登录");
      return;
    }
    say(explain(error), true);
  }

  // ---------------------------------------------------------------- login
  function showLogin(message) {
    $("#till-view").hidden = true;
    $("#logout").hidden = true;
    $("#who").textContent = "";
    $("#login-view").hidden = false;
    $("#login-error").textContent = message || "";
    $("#username").focus();
  }

  function showTill() {
    const who = saved.get();
    $("#login-view").hidden = true;
    $("#till-view").hidden = false;
    $("#logout").hidden = false;
    $("#who").textContent = `${who.store_name} · 店员 ${who.username}`;
    focusScan();
  }

  async function logIn(event) {
    event.preventDefault();
    const username = $("#username").value.trim();
    const password = $("#password").value;
    if (!username || !password) {
      $("#login-error").textContent = "请输入账号和密码";
      return;
    }
    $("#login-error").textContent = "登录中…";
    try {
      const issued = await api("/api/auth/token", { method: "POST", body: { username, password } });
      if (issued.role !== "staff") {
        $("#login-error").textContent = "请使用店员账号登录收银台";
        return;
      }
      const store = await api(`/api/stores/${issued.store_id}`, { token: issued.access_token });
      saved.set({ token: issued.access_token, username, store_id: issued.store_id, store_name: store.name });
      $("#password").value = "";
      showTill();
    } catch (error) {
      $("#login-error").textContent = explain(error);
    }
  }

  async function logOut() {
    try {
      await api("/api/auth/logout", { method: "POST", token: token() });
    } catch (error) {
      /* the token is dropped here either way */
    }
    saved.clear();
    result.replaceChildren();
    say("");
    showLogin("已退出登录");
  }

  // ---------------------------------------------------------------- scanning
  async function lookup(code) {
    const seq = ++lookupSeq;
    stopTicker();
    say("查询中…");
    result.replaceChildren();
    try {
      const scan = await api("/api/till/scan", { method: "POST", body: { code }, token: token(), retries: 2 });
      if (seq !== lookupSeq) return;
      if (scan.kind === "member") await showMember(code, scan.member, seq);
      else await showCoupon(scan.coupon.code, null, seq);
    } catch (error) {
      if (seq === lookupSeq) await handle(error);
    }
  }

  /** One user action (a redemption): its key is reused by every retry, so it happens once. */
  function action() {
    return { key: newKey("till"), busy: false, done: false };
  }

  async function redeem(code, title, act, button, orderRef) {
    if (act.busy || act.done) return null;
    act.busy = true;
    button.disabled = true;
    button.textContent = "核销中…";
    try {
      const ref = orderRef ? orderRef.value.trim() : "";
      const answer = await api(`/api/till/coupons/${encodeURIComponent(code)}/redeem`, {
        method: "POST",
        token: token(),
        key: act.key,
        body: ref ? { order_ref: ref } : undefined,
        retries: 3,
      });
      act.done = true;
      say(`核销成功：${title}`);
      log(`核销 ${title}（${groupCode(code)}）`);
      return answer;
    } catch (error) {
      if (error.network) {
        button.disabled = false;
        button.textContent = "重试核销";
        say("网络异常，核销结果未知：请点「重试核销」，同一笔不会重复核销", true);
      } else {
        button.textContent = "无法核销";
        await handle(error);
      }
      return null;
    } finally {
      act.busy = false;
    }
  }

  function redeemButton(code, title, onDone, orderRef, big) {
    const act = action();
    const button = el("button", {
      type: "button",
      class: big ? "primary big" : "primary",
      "aria-label": `核销 ${title}`,
    }, "核销");
    button.addEventListener("click", async () => {
      const answer = await redeem(code, title, act, button, orderRef);
      if (answer) await onDone(answer);
      focusScan();
    });
    return button;
  }

  // ---------------------------------------------------------------- member cards
  async function showMember(code, member, seq) {
    let profile = null;
    try {
      profile = await api("/api/till/members/identify", { method: "POST", body: { code }, token: token() });
    } catch (error) {
      /* the scan alone still gives points and coupons */
    }
    if (seq !== lookupSeq) return;
    const points = el("span", { class: "points", id: "member-points" }, String(member.points));
    const facts = el("dl", { class: "facts" },
      el("dt", {}, "会员"), el("dd", { id: "member-openid" }, profile ? profile.openid : member.id),
      el("dt", {}, "积分"), el("dd", {}, points),
    );
    if (profile && profile.points_expiring_soon) {
      facts.append(el("dt", {}, "30 天内到期"), el("dd", {}, `${profile.points_expiring_soon} 积分`));
    }
    if (profile) facts.append(el("dt", {}, "入会时间"), el("dd", {}, day(profile.member_since)));
    const tags = profile && profile.tags.length
      ? el("ul", { class: "tags", "aria-label": "会员标签" }, profile.tags.map((t) => el("li", {}, t)))
      : el("p", { class: "hint" }, "暂无标签");
    const list = el("ul", { class: "coupons", "aria-label": "本店可用优惠券" });
    for (const coupon of member.coupons) list.append(memberCoupon(coupon));
    if (!member.coupons.length) list.append(el("li", {}, "本店暂无可用优惠券"));
    result.replaceChildren(
      el("article", { class: "card", "aria-labelledby": "member-title" },
        el("h2", { id: "member-title" }, "会员卡"),
        el("p", { class: "verdict ok" }, "会员身份已确认"),
        facts, tags),
      el("article", { class: "card", "aria-labelledby": "member-coupons-title" },
        el("h2", { id: "member-coupons-title" }, `本店可用优惠券（${member.coupons.length}）`), list),
      purchaseForm(code, points),
    );
    say("已识别会员卡");
  }

  function memberCoupon(coupon) {
    const item = el("li", { "data-code": coupon.code },
      el("div", { class: "what" },
        el("div", { class: "title" }, `${coupon.title} · ${money(coupon.value_fen)}`),
        el("div", { class: "meta" }, `${groupCode(coupon.code)} · 有效期至 ${when(coupon.valid_until)}`)));
    const button = redeemButton(coupon.code, coupon.title, async () => {
      button.replaceWith(el("span", { class: "done" }, "✓ 已核销"), undoButton(coupon.code));
    });
    item.append(button);
    return item;
  }

  function purchaseForm(code, pointsNode) {
    let orderRef = newOrderRef();
    const amount = el("input", { id: "amount", name: "amount", inputmode: "decimal", autocomplete: "off", required: true });
    const order = el("input", { id: "order-ref", name: "order_ref", value: orderRef, autocomplete: "off", required: true });
    const submit = el("button", { type: "submit", class: "primary" }, "记录消费");
    const form = el("form", { class: "card", "aria-labelledby": "purchase-title", novalidate: true },
      el("h2", { id: "purchase-title" }, "记录消费，累计积分"),
      el("div", { class: "row" },
        el("div", {}, el("label", { for: "amount" }, "消费金额（元）"), amount),
        el("div", {}, el("label", { for: "order-ref" }, "订单号（同一订单只积一次分）"), order),
        submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fen = Math.round(parseFloat(amount.value.replace(/[,，¥]/g, "")) * 100);
      if (!Number.isFinite(fen) || fen <= 0) {
        say("请输入消费金额，例如 88.50", true);
        amount.focus();
        return;
      }
      submit.disabled = true;
      try {
        const earned = await api("/api/till/purchases", {
          method: "POST",
          token: token(),
          body: { member_code: code, amount_fen: fen, order_ref: order.value.trim() || orderRef },
          retries: 3,
        });
        pointsNode.textContent = String(earned.balance);
        say(`已记录消费 ${money(fen)}：本单获得 ${earned.points_earned} 积分，当前余额 ${earned.balance}`);
        log(`消费 ${money(fen)}，+${earned.points_earned} 积分`);
        amount.value = "";
        orderRef = newOrderRef();
        order.value = orderRef;
        focusScan();
      } catch (error) {
        if (error.slug === "code-not-recognised") say("会员码已过期：请让顾客刷新会员码后重新扫码", true);
        else await handle(error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function newOrderRef() {
    const stamp = when(new Date().toISOString()).replace(/[- :]/g, "");
    return `POS-${stamp}-${newKey("k").slice(2, 6).toUpperCase()}`;
  }

  // ---------------------------------------------------------------- coupons
  function verdict(coupon) {
    if (coupon.redeemable) return ["ok", "可以核销"];
    if (coupon.status === "redeemed" || coupon.reason === "coupon-already-redeemed") {
      return ["bad", `已于 ${when(coupon.redeemed_at)} 在 ${coupon.redeemed_store_name || "其他门店"} 核销`];
    }
    switch (coupon.reason) {
      case "coupon-expired": return ["bad", `已过期（有效期至 ${when(coupon.valid_until)}）`];
      case "not-valid-at-store": return ["bad", "本店不可用"];
      case "coupon-not-yet-valid": return ["warn", `尚未生效（${when(coupon.valid_from)} 起可用）`];
      case "coupon-voided": return ["bad", "已作废"];
      case "store-closed": return ["bad", "本店已关闭"];
      default: return ["bad", MESSAGES[coupon.reason] || "不能核销"];
    }
  }

  async function showCoupon(code, banner, seq) {
    let coupon;
    try {
      coupon = await api(`/api/till/coupons/${encodeURIComponent(code)}`, { token: token() });
    } catch (error) {
      await handle(error);
      return;
    }
    if (seq !== undefined && seq !== lookupSeq) return;
    const [tone, words] = banner ? ["ok", banner] : verdict(coupon);
    const facts = el("dl", { class: "facts" },
      el("dt", {}, "券码"), el("dd", {}, groupCode(coupon.code)),
      el("dt", {}, "面值"), el("dd", {}, money(coupon.value_fen)),
      el("dt", {}, "有效期"), el("dd", {}, `${when(coupon.valid_from)} 至 ${when(coupon.valid_until)}`));
    if (banner && coupon.redeemed_at) {
      facts.append(el("dt", {}, "核销时间"), el("dd", {}, `${when(coupon.redeemed_at)} · ${coupon.redeemed_store_name}`));
    }
    const card = el("article", { class: "card", "aria-labelledby": "coupon-title" },
      el("h2", { id: "coupon-title" }, coupon.title),
      el("p", { class: `verdict ${tone}`, id: "coupon-verdict" }, words),
      facts);
    if (coupon.redeemable) {
      const order = el("input", { id: "coupon-order-ref", name: "order_ref", autocomplete: "off" });
      card.append(
        el("label", { for: "coupon-order-ref" }, "订单号（可选）"), order,
        el("p", {}, redeemButton(coupon.code, coupon.title, () => showCoupon(coupon.code, "✓ 核销成功"), order, true)));
    }
    if (coupon.reversible_until) card.append(el("p", {}, undoButton(coupon.code, coupon.reversible_until)));
    result.replaceChildren(card);
    if (!banner) say(coupon.redeemable ? "请核对后点「核销」" : words, !coupon.redeemable);
  }

  function undoButton(code, until) {
    const button = el("button", { type: "button", class: "danger", "aria-label": "撤销这次核销" }, "撤销核销");
    if (until) countdown(button, new Date(until));
    let busy = false;
    button.addEventListener("click", async () => {
      if (busy) return;
      busy = true;
      button.disabled = true;
      try {
        await api(`/api/till/coupons/${encodeURIComponent(code)}/reverse`, { method: "POST", token: token() });
        log(`撤销核销（${groupCode(code)}）`);
        await showCoupon(code);
        say("已撤销核销：这张券可以再次使用");
      } catch (error) {
        await handle(error);
        button.disabled = false;
      } finally {
        busy = false;
        focusScan();
      }
    });
    return button;
  }

  function countdown(button, until) {
    stopTicker();
    const tick = () => {
      const left = Math.max(0, Math.round((until - Date.now()) / 1000));
      if (!left) {
        button.remove();
        stopTicker();
        return;
      }
      const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      button.textContent = `撤销核销（剩 ${text}）`;
    };
    tick();
    ticker = setInterval(tick, 1000);
  }

  function stopTicker() {
    if (ticker) clearInterval(ticker);
    ticker = null;
  }

  // ---------------------------------------------------------------- camera
  let stream = null;
  let scanning = false;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const script = el("script", { src: $("#till-script").dataset.jsqr });
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }

  async function detector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const native = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async (video) => ((await native.detect(video))[0] || {}).rawValue;
        }
      } catch (error) {
        /* fall back to the bundled decoder */
      }
    }
    await loadJsQR();
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async (video) => {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      if (!canvas.width) return undefined;
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return found ? found.data : undefined;
    };
  }

  async function openCamera() {
    dialog.showModal();
    const note = $("#camera-note");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      note.textContent = "此浏览器不能使用摄像头（需要 HTTPS），请用扫码枪或手动输入";
      return;
    }
    note.textContent = "正在打开摄像头…";
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const video = $("#camera-video");
      video.srcObject = stream;
      await video.play();
      const read = await detector();
      note.textContent = "把二维码放进画面中";
      scanning = true;
      while (scanning) {
        const text = await read(video).catch(() => undefined);
        if (text) {
          closeCamera();
          scanBox.value = "";
          await lookup(text);
          return;
        }
        await LJ.sleep(200);
      }
    } catch (error) {
      note.textContent = "无法打开摄像头：" + (error.message || error.name || "");
    }
  }

  function closeCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    if (dialog.open) dialog.close();
    focusScan();
  }

  // ---------------------------------------------------------------- keyboard and focus
  $("#login-form").addEventListener("submit", logIn);
  $("#logout").addEventListener("click", logOut);
  $("#camera-open").addEventListener("click", openCamera);
  $("#camera-close").addEventListener("click", closeCamera);
  dialog.addEventListener("close", closeCamera);
  $("#scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = scanBox.value.trim();
    scanBox.value = "";
    if (code) lookup(code);
    else focusScan();
  });

  document.addEventListener("keydown", (event) => {
    if ($("#till-view").hidden || dialog.open) return;
    if (event.key === "Escape") {
      stopTicker();
      result.replaceChildren();
      say("");
      scanBox.value = "";
      focusScan();
      return;
    }
    const target = event.target;
    const typing = target.matches && target.matches("input, textarea, select");
    const printable = event.key.length === 1 && event.key !== " ";
    if (!typing && printable && !event.ctrlKey && !event.metaKey && !event.altKey) {
      scanBox.focus(); // a scanner typing while a button has focus still lands in the box
    }
  });
  // Whatever removed or left the focused control, the scan box gets it back.
  document.addEventListener("focusout", () => {
    setTimeout(() => {
      if (!document.activeElement || document.activeElement === document.body) focusScan();
    }, 0);
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("button, input, a, label, select, textarea, dialog")) focusScan();
  });

  if (token()) showTill();
  else showLogin();
})();
