/* The follower's wallet: live member card (and its activation), points, coupons, campaigns,
   gifts, invitations. */
"use strict";

(() => {
  const { api, session, newKey, imageUrl, el, $, money, when, day, groupCode } = LJ;
  const saved = session("lianjie.wallet");
  const shareSaved = session("lianjie.wallet.share");
  const REFRESH_BEFORE_MS = 45000; // a card shown always has at least this long left
  let data = null; // the last wallet answer
  let group = "usable";
  let cardTimer = null;
  let toastTimer = null;

  const MESSAGES = {
    network: "网络不太好，请稍后再试",
    "campaign-out-of-stock": "来晚了，已经领完了",
    "claim-limit-reached": "您已领取过，达到领取上限",
    "claim-rejected": "审核未通过，无法领取",
    "campaign-not-running": "活动未开始或已结束",
    "insufficient-points": "积分不足",
    "not-following": "请先关注公众号",
    "member-not-found": "会员资料正在生成，请稍后刷新",
    "rate-limited": "操作太频繁，请稍后再试",
  };
  const explain = (error) => MESSAGES[error.slug] || error.detail || "出错了，请稍后再试";
  const token = () => (saved.get() || {}).token;

  function toast(text) {
    $("#toast").textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => ($("#toast").textContent = ""), 4000);
  }

  async function guard(promise) {
    try {
      return await promise;
    } catch (error) {
      if (["not-authenticated", "token-expired"].includes(error.slug)) {
        saved.clear();
        showLogin("登录已过期，请重新进入");
      } else {
        toast(explain(error));
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- login
  function showLogin(message) {
    clearTimeout(cardTimer);
    $("#wallet-view").hidden = true;
    $("#login-view").hidden = false;
    $("#login-error").textContent = message || "";
    const dev = document.body.dataset.devLogin === "1";
    $("#dev-login").hidden = !dev;
    if (dev) {
      $("#login-note").textContent = "开发环境：输入已关注用户的 openid 进入。";
      $("#openid").focus();
    }
  }

  async function devLogin(event) {
    event.preventDefault();
    const openid = $("#openid").value.trim();
    if (!openid) return;
    try {
      const issued = await api("/api/auth/follower-token", { method: "POST", body: { openid } });
      saved.set({ token: issued.access_token, member_id: issued.member_id });
      start();
    } catch (error) {
      $("#login-error").textContent = error.status === 404 ? "找不到这个关注者" : explain(error);
    }
  }

  /** WeChat web login: ?code= from the OAuth redirect becomes a follower token. */
  async function wechatLogin() {
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    const appid = document.body.dataset.wechatAppid;
    if (code) {
      history.replaceState(null, "", location.pathname);
      const issued = await api(`/api/auth/wechat/callback?code=${encodeURIComponent(code)}`);
      saved.set({ token: issued.access_token, member_id: issued.member_id });
      return true;
    }
    if (appid && document.body.dataset.devLogin !== "1") {
      const back = encodeURIComponent(location.origin + location.pathname);
      location.href = "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" +
        encodeURIComponent(appid) + "&redirect_uri=" + back +
        "&response_type=code&scope=snsapi_base&state=wallet#wechat_redirect";
    }
    return false;
  }

  // ---------------------------------------------------------------- the card
  async function refreshCard() {
    clearTimeout(cardTimer);
    try {
      const card = await api("/api/me/card", { token: token() });
      const url = await imageUrl("/api/me/card.png", token());
      const img = $("#card-qr");
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.src = url;
      $("#card-payload").textContent = card.payload;
      img.dataset.expiresAt = card.expires_at;
      const wait = new Date(card.expires_at) - Date.now() - REFRESH_BEFORE_MS;
      cardTimer = setTimeout(refreshCard, Math.max(5000, wait));
    } catch (error) {
      cardTimer = setTimeout(refreshCard, 10000);
    }
  }

  function renderActivation() {
    const at = data.card_activated_at;
    $("#activate-card").hidden = Boolean(at);
    $("#card-activated").hidden = !at;
    $("#card-activated").textContent = at ? `会员卡已激活 · ${day(at)}` : "";
  }

  async function activateCard() {
    const button = $("#activate-card");
    button.disabled = true;
    try {
      const done = await guard(api("/api/me/card/activate", {
        method: "POST", token: token(), retries: 3, // activating twice changes nothing
      }));
      data.card_activated_at = done.activated_at;
      renderActivation();
      toast("会员卡已激活");
    } catch (error) {
      /* guard told the follower */
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- wallet
  async function loadWallet() {
    data = await guard(api("/api/me/wallet", { token: token() }));
    $("#points").textContent = String(data.points);
    $("#expiring").textContent = data.points_expiring_soon
      ? `${data.points_expiring_soon} 积分将在 30 天内过期` : "";
    $("#tags").replaceChildren(...data.tags.map((tag) => el("li", {}, tag)));
    $("#referrals").textContent = data.referrals
      ? `已邀请 ${data.referrals} 位好友关注` + (data.rank ? ` · 邀请榜第 ${data.rank} 名` : "")
      : "还没有邀请好友，分享二维码给好友，好友关注后您可获得奖励";
    renderActivation();
    renderCoupons();
    renderGifts();
  }

  const GROUPS = { usable: ["issued"], used: ["redeemed"], gone: ["expired", "voided"] };
  const STATUS_WORDS = { issued: "可使用", redeemed: "已使用", expired: "已过期", voided: "已作废" };

  function renderCoupons() {
    const list = $("#coupon-list");
    for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
      const mine = data.coupons.filter((c) => GROUPS[tab.dataset.group].includes(c.status));
      tab.textContent = `${tab.textContent.replace(/（\d+）$/, "")}（${mine.length}）`;
      const chosen = tab.dataset.group === group;
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
      if (chosen) list.setAttribute("aria-labelledby", tab.id);
    }
    const shown = data.coupons.filter((c) => GROUPS[group].includes(c.status));
    list.replaceChildren(...shown.map(couponItem));
    if (!shown.length) list.append(el("li", { class: "empty" }, "暂无优惠券"));
  }

  function couponItem(coupon) {
    const usable = coupon.status === "issued";
    const item = el("li", { class: usable ? "" : group, "data-code": coupon.code });
    const head = el("div", { class: "coupon-head" },
      el("span", { class: "value" }, money(coupon.value_fen)),
      el("div", { class: "what" },
        el("div", { class: "title" }, coupon.title),
        el("div", { class: "meta" }, `${STATUS_WORDS[coupon.status]} · 有效期至 ${day(coupon.valid_until)}`)));
    item.append(head);
    if (usable) {
      const box = el("div", { class: "coupon-qr", id: `qr-${coupon.code}`, hidden: true });
      const button = el("button", {
        type: "button", "aria-expanded": "false", "aria-controls": box.id,
        "aria-label": `出示券码：${coupon.title}`,
      }, "出示券码");
      button.addEventListener("click", async () => {
        const open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", String(open));
        box.hidden = !open;
        if (open && !box.firstChild) {
          const src = await guard(imageUrl(`/api/me/coupons/${coupon.code}.png`, token()));
          box.append(
            el("img", { src, alt: `${coupon.title} 的券码二维码`, width: 200, height: 200 }),
            el("code", {}, groupCode(coupon.code)));
        }
      });
      head.append(button);
      item.append(box);
    }
    return item;
  }

  function chooseTab(tab) {
    group = tab.dataset.group;
    renderCoupons();
    tab.focus();
  }

  // ---------------------------------------------------------------- campaigns and gifts
  let offers = [];

  async function loadOffers() {
    offers = (await guard(api("/api/me/campaigns", { token: token() }))).items;
    const list = $("#campaign-list");
    const campaigns = offers.filter((c) => c.kind !== "points_exchange");
    list.replaceChildren(...campaigns.map((c) => offerItem(c, "领取")));
    if (!campaigns.length) list.append(el("li", { class: "empty" }, "暂时没有可领取的活动"));
    renderGifts();
  }

  function renderGifts() {
    if (!data) return;
    const list = $("#gift-list");
    const gifts = offers.filter((c) => c.kind === "points_exchange");
    list.replaceChildren(...gifts.map((c) => offerItem(c, "兑换")));
    if (!gifts.length) list.append(el("li", { class: "empty" }, "暂时没有可兑换的礼品"));
  }

  function rewardWords(campaign) {
    const reward = campaign.reward;
    return reward.type === "coupon" ? `${reward.title}（${money(reward.value_fen)}）` : `${reward.points} 积分`;
  }

  function offerItem(campaign, verb) {
    const held = data ? data.coupons.filter((c) => c.campaign_id === campaign.id).length : 0;
    const full = held >= campaign.per_member_limit;
    const short = campaign.points_cost > (data ? data.points : 0);
    const meta = [rewardWords(campaign)];
    if (campaign.points_cost) meta.push(`需 ${campaign.points_cost} 积分`);
    if (campaign.ends_at) meta.push(`${when(campaign.ends_at)} 截止`);
    const button = el("button", {
      type: "button", class: "primary", "aria-label": `${verb}：${campaign.name}`,
      disabled: full || short,
    }, full ? "已领取" : short ? "积分不足" : verb);
    let act = { key: newKey("claim"), busy: false };
    button.addEventListener("click", async () => {
      if (act.busy) return;
      act.busy = true;
      button.disabled = true;
      button.textContent = `${verb}中…`;
      try {
        const got = await guard(api(`/api/me/campaigns/${campaign.id}/claim`, {
          method: "POST", token: token(), key: act.key, retries: 3,
        }));
        toast(got.status === "held" ? "已提交审核：本设备已为其他账号领取过，审核通过后发放"
          : got.code ? `${verb}成功：${got.title} 已放入我的优惠券` : `${verb}成功：获得 ${got.points} 积分`);
        act = { key: newKey("claim"), busy: false };
        group = "usable";
        await loadWallet();
        await loadOffers();
      } catch (error) {
        button.disabled = false;
        button.textContent = verb;
        act.busy = false;
      }
    });
    return el("li", { class: "offer", "data-campaign": campaign.id },
      el("div", { class: "what" },
        el("div", { class: "title" }, campaign.name),
        el("div", { class: "meta" }, meta.join(" · "))),
      button);
  }

  // ---------------------------------------------------------------- invitations
  async function share() {
    let mine = shareSaved.get();
    if (!mine || mine.member_id !== saved.get().member_id) {
      const made = await guard(api("/api/me/shares", { method: "POST", token: token(), body: {} }));
      mine = { member_id: saved.get().member_id, token: made.token, url: made.url };
      shareSaved.set(mine);
    }
    $("#share-qr").src = await guard(imageUrl(`/api/me/shares/${mine.token}/qr.png`, token()));
    $("#share-link").value = mine.url;
    $("#share-box").hidden = false;
    $("#share").textContent = "我的邀请二维码";
  }

  async function copyLink() {
    const input = $("#share-link");
    try {
      await navigator.clipboard.writeText(input.value);
      toast("链接已复制，发给好友吧");
    } catch (error) {
      input.select();
      toast("请长按链接复制");
    }
  }

  // ---------------------------------------------------------------- start
  async function start() {
    $("#login-view").hidden = true;
    $("#wallet-view").hidden = false;
    refreshCard();
    try {
      await loadWallet();
      await loadOffers();
    } catch (error) {
      /* guard told the follower */
    }
  }

  $("#dev-login").addEventListener("submit", devLogin);
  $("#activate-card").addEventListener("click", activateCard);
  $("#share").addEventListener("click", share);
  $("#copy-link").addEventListener("click", copyLink);
  $("#logout").addEventListener("click", () => {
    saved.clear();
    shareSaved.clear();
    showLogin("已退出");
  });
  const tabs = Array.from(document.querySelectorAll(".tabs [role=tab]"));
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => chooseTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) chooseTab(tabs[(index + step + tabs.length) % tabs.length]);
    });
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && token()) refreshCard();
  });

  (async () => {
    if (!token()) {
      try {
        await wechatLogin();
      } catch (error) {
        $("#login-error").textContent = "微信登录失败，请重新打开页面";
      }
    }
    if (token()) start();
    else showLogin();
  })();
})();
