/* The operator console: stores, staff, campaigns, members, leaderboards, inbox and SVG charts. */
"use strict";

(() => {
  const { api, session, newKey, el, $, money, when, day, groupCode } = LJ;
  const T = JSON.parse($("#words").textContent);
  const LANG = document.body.dataset.lang;
  const saved = session("lianjie.console");
  const TABS = ["overview", "stores", "staff", "campaigns", "members", "leaderboards", "inbox"];
  const INBOX_POLL_MS = 3000;
  const SLA_MINUTES = 15; // a conversation waiting longer is shown in red
  let stores = [];
  let campaigns = [];
  let liveTimer = null;

  const token = () => (saved.get() || {}).token;
  const $$ = (selector) => Array.from(document.querySelectorAll(selector));

  function say(text, bad) {
    $("#status").textContent = text || "";
    $("#status").classList.toggle("bad", !!bad);
  }

  async function call(path, options = {}) {
    try {
      return await api(path, { token: token(), ...options });
    } catch (error) {
      if (["not-authenticated", "token-expired"].includes(error.slug)) {
        saved.clear();
        showLogin(error.detail);
      } else {
        say(`${T.error}: ${error.detail || error.slug}`, true);
      }
      throw error;
    }
  }

  const quietly = (promise) => promise.catch(() => undefined);
  const badge = (word) => el("span", { class: `badge ${word}` }, T[word] || word);
  const storeName = (id) => (stores.find((s) => s.id === id) || {}).name || (id ? id.slice(0, 8) : "");

  function options(select, items, allLabel) {
    const current = select.value;
    select.replaceChildren(
      ...(allLabel !== undefined ? [el("option", { value: "" }, allLabel)] : []),
      ...items.map(([value, label]) => el("option", { value }, label)));
    if (items.some(([value]) => value === current)) select.value = current;
  }

  // ---------------------------------------------------------------- login and navigation
  function showLogin(message) {
    clearInterval(liveTimer);
    $("#console-view").hidden = true;
    $("#logout").hidden = true;
    $("#who").textContent = "";
    $("#login-view").hidden = false;
    $("#login-error").textContent = message || "";
    $("#username").focus();
  }

  async function logIn(event) {
    event.preventDefault();
    try {
      const issued = await api("/api/auth/token", {
        method: "POST",
        body: { username: $("#username").value.trim(), password: $("#password").value },
      });
      if (issued.role !== "operator") {
        $("#login-error").textContent = T.not_operator;
        return;
      }
      saved.set({ token: issued.access_token, username: $("#username").value.trim() });
      $("#password").value = "";
      await start();
    } catch (error) {
      $("#login-error").textContent = error.detail || T.error;
    }
  }

  async function logOut() {
    await quietly(api("/api/auth/logout", { method: "POST", token: token() }));
    saved.clear();
    showLogin();
  }

  async function start() {
    $("#login-view").hidden = true;
    $("#console-view").hidden = false;
    $("#logout").hidden = false;
    $("#who").textContent = saved.get().username;
    await quietly(loadLists());
    await show(location.hash.slice(1));
  }

  async function loadLists() {
    stores = (await call("/api/stores?limit=500")).items;
    campaigns = (await call("/api/campaigns?limit=500")).items;
    const storeItems = stores.map((s) => [s.id, s.name]);
    const campaignItems = campaigns.map((c) => [c.id, c.name]);
    options($("#staff-store"), storeItems);
    options($("#r-store"), storeItems, T.all_stores);
    options($("#k-store"), storeItems, T.all_stores);
    options($("#r-campaign"), campaignItems, T.all_campaigns);
    options($("#funnel-campaign"), campaignItems);
    $("#c-stores").replaceChildren(...stores.filter((s) => s.is_open).map((s) =>
      el("label", {}, el("input", { type: "checkbox", name: "store_ids", value: s.id }), " ", s.name)));
  }

  const LOADERS = {
    overview: loadCharts,
    stores: loadStores,
    staff: loadStaff,
    campaigns: loadCampaigns,
    members: async () => $("#member-openid").focus(),
    leaderboards: async () => Promise.all([loadReferrals(), loadContribution()]),
    inbox: async () => Promise.all([loadInbox(), loadCanned()]),
  };

  async function show(tab) {
    if (!TABS.includes(tab)) tab = "overview";
    clearInterval(liveTimer);
    for (const name of TABS) $("#" + name).hidden = name !== tab;
    for (const link of $$("nav a")) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    say("");
    await quietly(LOADERS[tab]());
    if (tab === "campaigns") {
      liveTimer = setInterval(() => {
        if (!document.hidden) quietly(loadCampaigns());
      }, 5000);
    }
    if (tab === "inbox") {
      liveTimer = setInterval(() => {
        if (!document.hidden) quietly(loadInbox());
      }, INBOX_POLL_MS);
    }
  }

  // ---------------------------------------------------------------- overview: server-drawn SVG
  async function chart(figure, path) {
    const response = await call(path, { raw: true });
    figure.innerHTML = await response.text(); // drawn and escaped by the server
  }

  async function loadCharts() {
    const days = $("#overview-days").value;
    const campaign = $("#funnel-campaign").value;
    const q = `lang=${LANG}&days=${days}`;
    await Promise.all([
      chart($("#chart-follows"), `/api/console/charts/follows.svg?${q}`),
      chart($("#chart-redemptions"), `/api/console/charts/redemptions.svg?${q}`),
      chart($("#chart-share-rate"), `/api/console/charts/share-rate.svg?${q}`),
      chart($("#chart-funnel"), `/api/console/charts/funnel.svg?lang=${LANG}` +
        (campaign ? `&campaign_id=${campaign}` : "")),
    ]);
  }

  // ---------------------------------------------------------------- stores
  async function download(path, filename) {
    const response = await call(path, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function loadStores() {
    stores = (await call("/api/stores?limit=500")).items;
    $("#store-rows").replaceChildren(...stores.map((s) => el("tr", {},
      el("td", {}, s.name), el("td", {}, s.region), el("td", {}, badge(s.is_open ? "open" : "closed")),
      el("td", {}, el("code", {}, s.qr_scene)),
      el("td", { class: "actions" },
        el("button", { type: "button", "aria-label": `${T.download_png}: ${s.name}`,
          onclick: () => quietly(download(`/api/stores/${s.id}/poster.png`, `poster-${s.name}.png`)) }, "PNG"),
        el("button", { type: "button", "aria-label": `${T.download_svg}: ${s.name}`,
          onclick: () => quietly(download(`/api/stores/${s.id}/poster.svg`, `poster-${s.name}.svg`)) }, "SVG")))));
  }

  async function openStore(event) {
    event.preventDefault();
    const name = $("#store-name").value.trim();
    const region = $("#store-region").value.trim();
    if (!name || !region) return;
    await quietly(call("/api/stores", { method: "POST", body: { name, region } }).then(async () => {
      event.target.reset();
      say(T.saved);
      await loadLists();
      await loadStores();
    }));
  }

  // ---------------------------------------------------------------- staff
  async function loadStaff() {
    const staff = (await call("/api/staff")).items;
    $("#staff-rows").replaceChildren(...staff.map((a) => el("tr", {},
      el("td", {}, a.username), el("td", {}, storeName(a.store_id)),
      el("td", {}, badge(a.active ? "active" : "disabled")),
      el("td", { class: "actions" }, a.active ? el("button", {
        type: "button", "aria-label": `${T.disable}: ${a.username}`,
        onclick: () => quietly(call(`/api/staff/${a.id}/disable`, { method: "POST" }).then(loadStaff)),
      }, T.disable) : ""))));
  }

  async function addStaff(event) {
    event.preventDefault();
    const body = {
      username: $("#staff-username").value.trim(),
      password: $("#staff-password").value,
      store_id: $("#staff-store").value,
    };
    await quietly(call("/api/staff", { method: "POST", body }).then(async () => {
      event.target.reset();
      say(T.saved);
      await loadStaff();
    }));
  }

  // ---------------------------------------------------------------- campaigns
  function rewardText(reward) {
    return reward.type === "coupon" ? `${reward.title} ${money(reward.value_fen)}` : `${reward.points} ${T.points}`;
  }

  async function loadCampaigns() {
    const [list, figures] = await Promise.all([
      call("/api/campaigns?limit=500"),
      call("/api/console/campaigns/figures"),
    ]);
    campaigns = list.items;
    const byId = Object.fromEntries(figures.items.map((f) => [f.campaign_id, f]));
    $("#campaign-rows").replaceChildren(...campaigns.map((c) => {
      const f = byId[c.id] || { claims: 0, redemptions: 0, remaining: null };
      const act = (verb, label) => el("button", {
        type: "button", "aria-label": `${label}: ${c.name}`,
        onclick: () => {
          if (verb === "end" && !confirm(T.end_confirm)) return;
          quietly(call(`/api/campaigns/${c.id}/${verb}`, { method: "POST" }).then(loadCampaigns));
        },
      }, label);
      const actions = [];
      if (c.status === "draft" || c.status === "paused") actions.push(act("start", T.start));
      if (c.status === "running") actions.push(act("pause", T.pause));
      if (c.status !== "ended") actions.push(act("end", T.end));
      return el("tr", { "data-campaign": c.id },
        el("td", {}, c.name), el("td", {}, T["kind_" + c.kind] || c.kind), el("td", {}, badge(c.status)),
        el("td", {}, rewardText(c.reward) + (c.points_cost ? ` (−${c.points_cost} ${T.points})` : "")),
        el("td", { class: "num" }, c.stock === null ? T.unlimited : String(c.stock)),
        el("td", { class: "num" }, String(f.claims)),
        el("td", { class: "num" }, f.remaining === null ? "—" : String(f.remaining)),
        el("td", { class: "num" }, String(f.redemptions)),
        el("td", { class: "actions" }, actions));
    }));
  }

  function shanghaiIso(local) {
    return local ? `${local}:00+08:00` : undefined;
  }

  function campaignBody() {
    const value = (id) => $(id).value.trim();
    const number = (id) => (value(id) === "" ? undefined : Number(value(id)));
    const kind = value("#c-kind");
    const reward = value("#c-reward-type") === "coupon"
      ? { type: "coupon", title: value("#c-title"), value_fen: Math.round(parseFloat(value("#c-value") || "0") * 100) }
      : { type: "points", points: number("#c-points") };
    const storeIds = $$("#c-stores input:checked").map((box) => box.value);
    const body = {
      name: value("#c-name"), kind, reward,
      per_member_limit: number("#c-limit") || 1,
      coupon_valid_days: number("#c-days") || 30,
    };
    if (number("#c-stock")) body.stock = number("#c-stock");
    if (kind === "points_exchange") body.points_cost = number("#c-cost") || 0;
    if (value("#c-starts")) body.starts_at = shanghaiIso(value("#c-starts"));
    if (value("#c-ends")) body.ends_at = shanghaiIso(value("#c-ends"));
    if (storeIds.length) body.store_ids = storeIds;
    return body;
  }

  async function createCampaign(event) {
    event.preventDefault();
    await quietly(call("/api/campaigns", { method: "POST", body: campaignBody() }).then(async () => {
      event.target.reset();
      syncCampaignForm();
      say(T.saved);
      await loadLists();
      await loadCampaigns();
    }));
  }

  function syncCampaignForm() {
    const rewardType = $("#c-reward-type").value;
    for (const box of $$("[data-reward]")) box.hidden = box.dataset.reward !== rewardType;
    for (const box of $$("[data-kind]")) box.hidden = box.dataset.kind !== $("#c-kind").value;
  }

  // ---------------------------------------------------------------- members
  function describe(entry) {
    const d = entry.details;
    const parts = [];
    if (d.scene) parts.push(d.scene);
    if (d.store_id) parts.push(storeName(d.store_id));
    if (d.tag) parts.push(d.tag);
    if (d.region) parts.push(d.region);
    if (d.amount_fen !== undefined) parts.push(money(d.amount_fen));
    if (d.order_ref) parts.push(d.order_ref);
    if (d.points !== undefined) parts.push(`${d.points} ${T.points}`);
    if (d.delta !== undefined) parts.push(`${d.delta} ${T.points}`);
    if (d.reason) parts.push(T["why_" + d.reason] || d.reason);
    if (d.title) parts.push(`${d.title} ${money(d.value_fen || 0)}`);
    if (d.code) parts.push(groupCode(d.code));
    return parts.join(" · ");
  }

  async function findMember(event) {
    event.preventDefault();
    const openid = $("#member-openid").value.trim();
    const box = $("#member-result");
    if (!openid) return;
    let member;
    try {
      member = await api(`/api/members/by-openid/${encodeURIComponent(openid)}`, { token: token() });
    } catch (error) {
      box.replaceChildren(el("p", { class: "error", role: "alert" }, error.status === 404 ? T.member_not_found : error.detail));
      return;
    }
    const [wallet, history] = await Promise.all([
      quietly(call(`/api/console/members/${member.id}/wallet`)),
      call(`/api/console/members/${member.id}/history`),
    ]);
    const profile = el("dl", { class: "profile" },
      el("dt", {}, T.openid), el("dd", {}, member.openid),
      el("dt", {}, "ID"), el("dd", {}, el("code", {}, member.id)),
      el("dt", {}, T.status), el("dd", {}, badge(member.following ? "following" : "unfollowed")),
      el("dt", {}, T.followed_at), el("dd", {}, when(member.followed_at)),
      el("dt", {}, T.scene), el("dd", {}, member.scene || "—"),
      el("dt", {}, T.store), el("dd", {}, storeName(member.store_id) || "—"),
      el("dt", {}, T.region), el("dd", {}, member.region || "—"),
      el("dt", {}, T.tags), el("dd", {}, member.tags.join("、") || "—"));
    if (wallet) {
      profile.append(
        el("dt", {}, T.points), el("dd", {}, String(wallet.points)),
        el("dt", {}, T.referrals), el("dd", {}, String(wallet.referrals)));
    }
    const coupons = wallet && wallet.coupons.length ? el("table", {},
      el("caption", { class: "sr-only" }, T.coupons),
      el("thead", {}, el("tr", {}, [T.code, T.name, T.status, T.valid_until].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, wallet.coupons.map((c) => el("tr", {},
        el("td", {}, el("code", {}, groupCode(c.code))), el("td", {}, `${c.title} ${money(c.value_fen)}`),
        el("td", {}, badge(c.status)), el("td", {}, day(c.valid_until)))))) : el("p", { class: "hint" }, "—");
    const timeline = el("ol", { class: "timeline", "aria-label": T.history },
      history.items.map((entry) => el("li", {},
        el("time", { datetime: entry.at }, when(entry.at)),
        el("strong", {}, T["ev_" + entry.event] || `${entry.aggregate}.${entry.event}`),
        el("div", { class: "details" }, describe(entry)))));
    box.replaceChildren(
      el("section", { class: "card", "aria-label": T.profile }, el("h3", {}, T.profile), profile),
      el("section", { class: "card", "aria-label": T.coupons }, el("h3", {}, T.coupons), coupons),
      el("section", { class: "card", "aria-label": T.history }, el("h3", {}, T.history), timeline));
  }

  // ---------------------------------------------------------------- leaderboards
  async function labels(ids) {
    if (!ids.length) return {};
    const query = ids.map((id) => `ids=${id}`).join("&");
    const found = await call(`/api/console/members/labels?${query}`);
    return Object.fromEntries(found.items.map((m) => [m.id, m.openid]));
  }

  function shanghaiToday() {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date()).map((p) => [p.type, p.value]));
    return new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)));
  }

  function periodKey(period) {
    const today = shanghaiToday();
    const iso = today.toISOString().slice(0, 10);
    if (period === "day") return iso;
    if (period === "month") return iso.slice(0, 7);
    if (period === "week") {
      // ISO 8601: the week belongs to the year of its Thursday; week 1 holds January 4th.
      const thursday = new Date(today);
      thursday.setUTCDate(today.getUTCDate() + 3 - ((today.getUTCDay() + 6) % 7));
      const year = thursday.getUTCFullYear();
      const january4 = new Date(Date.UTC(year, 0, 4));
      const days = (thursday - january4) / 86400000;
      const week = 1 + Math.round((days - 3 + ((january4.getUTCDay() + 6) % 7)) / 7);
      return `${year}-W${String(week).padStart(2, "0")}`;
    }
    return "";
  }

  function emptyRow(columns) {
    return el("tr", {}, el("td", { colspan: columns, class: "hint" }, T.board_empty));
  }

  async function loadReferrals() {
    const params = new URLSearchParams({ limit: $("#r-limit").value || "10", period: $("#r-period").value });
    if ($("#r-period").value !== "all") params.set("period_key", $("#r-key").value.trim());
    if ($("#r-store").value) params.set("store_id", $("#r-store").value);
    else if ($("#r-campaign").value) params.set("campaign_id", $("#r-campaign").value);
    const board = await call(`/api/leaderboards/referrals?${params}`);
    const names = await labels(board.entries.map((e) => e.member_id));
    const rows = board.entries.map((e) => el("tr", { "data-member": e.member_id },
      el("td", { class: "num" }, String(e.rank)),
      el("td", {}, names[e.member_id] || e.member_id),
      el("td", { class: "num" }, String(e.referrals))));
    $("#referral-rows").replaceChildren(...(rows.length ? rows : [emptyRow(3)]));
  }

  async function loadContribution() {
    const params = new URLSearchParams({ limit: $("#k-limit").value || "10" });
    if ($("#k-store").value) params.set("store_id", $("#k-store").value);
    const board = await call(`/api/leaderboards/contribution?${params}`);
    const names = await labels(board.entries.map((e) => e.member_id));
    const rows = board.entries.map((e) => el("tr", { "data-member": e.member_id },
      el("td", { class: "num" }, String(e.rank)),
      el("td", {}, names[e.member_id] || e.member_id),
      el("td", { class: "num" }, String(Math.round(e.score * 10) / 10)),
      ...[e.spreading, e.interaction, e.spending, e.self_growth].map((n) => el("td", { class: "num" }, String(n)))));
    $("#contribution-rows").replaceChildren(...(rows.length ? rows : [emptyRow(7)]));
  }

  // ---------------------------------------------------------------- customer-service inbox
  const chat = { id: null, openid: "" };
  let myAgentId = null; // learnt from the first conversation this operator takes

  function agentLabel(agentId) {
    if (!agentId) return T.inbox_unassigned;
    return agentId === myAgentId ? T.inbox_me : T.inbox_taken;
  }

  async function loadInbox() {
    const found = (await call("/api/wechat/inbox?limit=200")).items;
    const rows = found.map((c) => {
      const minutes = Math.floor(c.waiting_seconds / 60);
      const late = minutes >= SLA_MINUTES;
      return el("tr", {
        "data-conversation": c.conversation_id,
        class: [late ? "late" : "", c.conversation_id === chat.id ? "selected" : ""].join(" ").trim() || null,
      },
        el("td", {}, c.openid),
        el("td", { class: "num" }, String(c.waiting)),
        el("td", { class: "num" }, String(minutes), late ? el("span", { class: "late-mark" }, ` ${T.inbox_late}`) : ""),
        el("td", {}, agentLabel(c.agent_id)),
        el("td", { class: "actions" }, el("button", {
          type: "button", "aria-label": `${T.inbox_open_chat}: ${c.openid}`,
          "aria-pressed": c.conversation_id === chat.id ? "true" : "false",
          onclick: () => quietly(openChat(c.conversation_id, c.openid)),
        }, T.inbox_open_chat)));
    });
    $("#inbox-rows").replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: 5, class: "hint" }, T.inbox_empty))]));
    if (chat.id && found.some((c) => c.conversation_id === chat.id)) await loadMessages();
  }

  async function loadCanned() {
    const canned = (await call("/api/wechat/canned-replies")).items;
    options($("#reply-canned"), canned.map((c) => [c.id, c.title]), T.inbox_no_canned);
    $("#reply-canned").cannedTexts = Object.fromEntries(canned.map((c) => [c.id, c.text]));
  }

  async function loadMessages() {
    const id = chat.id;
    const found = (await call(`/api/wechat/inbox/${id}/messages`)).items;
    if (id !== chat.id) return; // another conversation was opened meanwhile
    $("#chat-messages").replaceChildren(...found.map((m) => el("li", { class: m.direction },
      el("time", { datetime: m.at }, when(m.at)),
      el("strong", {}, m.direction === "in" ? T.inbox_follower : T.inbox_agent_said),
      el("div", { class: "text" }, m.text))));
  }

  async function openChat(id, openid) {
    const switching = chat.id !== id;
    chat.id = id;
    chat.openid = openid;
    $("#chat-title").textContent = `${T.inbox_chat_with}: ${openid}`;
    $("#inbox-chat").hidden = false;
    if (switching) {
      $("#reply-form").reset();
      $("#chat-messages").replaceChildren();
    }
    for (const row of $$("#inbox-rows tr[data-conversation]")) {
      const selected = row.dataset.conversation === id;
      row.classList.toggle("selected", selected);
      row.querySelector("button").setAttribute("aria-pressed", String(selected));
    }
    await loadMessages();
  }

  function closeChat(message) {
    chat.id = null;
    $("#inbox-chat").hidden = true;
    $("#reply-form").reset();
    say(message);
    return loadInbox();
  }

  async function takeChat() {
    if (!chat.id) return;
    const taken = await call(`/api/wechat/inbox/${chat.id}/assign`, { method: "POST", body: {} });
    myAgentId = taken.agent_id;
    say(T.inbox_assigned);
    await loadInbox();
  }

  async function replyChat(event) {
    event.preventDefault();
    if (!chat.id) return;
    const text = $("#reply-text").value.trim();
    const cannedId = $("#reply-canned").value;
    const cannedText = ($("#reply-canned").cannedTexts || {})[cannedId];
    let body;
    if (cannedId && (!text || text === cannedText)) body = { canned_reply_id: cannedId };
    else if (text) body = { text };
    else {
      say(T.inbox_no_text, true);
      $("#reply-text").focus();
      return;
    }
    await call(`/api/wechat/inbox/${chat.id}/answer`, { method: "POST", body, key: newKey("cs") });
    await closeChat(T.inbox_replied);
  }

  async function closeConversation() {
    if (!chat.id) return;
    await call(`/api/wechat/inbox/${chat.id}/close`, { method: "POST", body: {} });
    await closeChat(T.inbox_closed);
  }

  // ---------------------------------------------------------------- wiring
  $("#login-form").addEventListener("submit", logIn);
  $("#logout").addEventListener("click", logOut);
  window.addEventListener("hashchange", () => token() && show(location.hash.slice(1)));
  $("#overview-form").addEventListener("submit", (event) => {
    event.preventDefault();
    quietly(loadCharts());
  });
  $("#store-form").addEventListener("submit", openStore);
  $("#staff-form").addEventListener("submit", addStaff);
  $("#campaign-form").addEventListener("submit", createCampaign);
  $("#c-reward-type").addEventListener("change", syncCampaignForm);
  $("#c-kind").addEventListener("change", syncCampaignForm);
  $("#member-form").addEventListener("submit", findMember);
  $("#referral-form").addEventListener("submit", (event) => {
    event.preventDefault();
    quietly(loadReferrals());
  });
  $("#contribution-form").addEventListener("submit", (event) => {
    event.preventDefault();
    quietly(loadContribution());
  });
  $("#inbox-take").addEventListener("click", () => quietly(takeChat()));
  $("#inbox-close").addEventListener("click", () => quietly(closeConversation()));
  $("#reply-form").addEventListener("submit", (event) => quietly(replyChat(event)));
  $("#reply-canned").addEventListener("change", () => {
    const text = ($("#reply-canned").cannedTexts || {})[$("#reply-canned").value];
    if (text) $("#reply-text").value = text;
  });
  $("#r-period").addEventListener("change", () => {
    const period = $("#r-period").value;
    $("#r-key").disabled = period === "all";
    $("#r-key").value = periodKey(period);
  });
  $("#r-store").addEventListener("change", () => {
    if ($("#r-store").value) $("#r-campaign").value = "";
  });
  $("#r-campaign").addEventListener("change", () => {
    if ($("#r-campaign").value) $("#r-store").value = "";
  });

  if (token()) start();
  else showLogin();
})();
