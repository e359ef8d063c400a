// Behaviour of the signal panel; loaded by the toolbar as an ES module.
//
// The panel's HTML is rendered on the server from the stored stats; this
// script only toggles classes and attributes on it: filters, tabs, detail
// rows, timeline navigation and the JSON download. It never builds markup
// from recorded values, never uses inline styles, eval or inline handlers,
// so it works under a strict Content-Security-Policy.
//
// The toolbar loads this module once per page and fires `djdt.panel.render`
// on #djDebug (no bubbling) each time a panel's content is shown; a panel's
// content is replaced when the History panel switches requests.
//
// The toolbar fetches a panel's content once, and renders its sidebar line
// with the page, before request_finished is sent. So the content puts its
// own sidebar line in the sidebar, and content stored before request_finished
// fetches itself again (ddt's render_panel view, as toolbar.js does) until
// the store has the rest of the recording, then replaces itself.

// Filter state outlives one rendering, so it survives History switches.
const state = {
    query: "",
    families: {},
    errors: false,
    slow: false,
    threshold: null,
    measure: "dispatch",
    tab: "dispatches",
    registryFired: false,
};

const listening = new WeakSet();

// Content stored before request_finished: how often, and how many times, to
// fetch it again (30 s in all), e.g. while a streamed response is still sent.
const POLL_MS = 1000;
const POLL_TRIES = 30;

function debugElement() {
    const host = document.getElementById("djDebugRoot");
    const root = host?.shadowRoot ? host.shadowRoot : document;
    return root.querySelector("#djDebug") || document.getElementById("djDebug");
}

function setHidden(element, hidden) {
    if (element && element.classList.contains("djdt-sp-hidden") !== hidden) {
        element.classList.toggle("djdt-sp-hidden", hidden);
    }
}

function initPanel(root) {
    if (root.dataset.spReady) {
        return;
    }
    root.dataset.spReady = "1";

    const items = [];
    const byId = new Map();
    for (const element of root.querySelectorAll(".djdt-sp-dispatch")) {
        const id = element.dataset.spId;
        const item = {
            id,
            element,
            row: element.querySelector(".djdt-sp-row"),
            detail: element.querySelector(".djdt-sp-detail-row"),
            lane: null,
            toggle: element.querySelector(".djdt-sp-toggle"),
            family: element.dataset.spFamily,
            search: element.dataset.spSearch || "",
            error: element.dataset.spError === "1",
            // The slow filter's measures: the dispatch's time, its slowest
            // receiver's, and its time outside receivers.
            ms: {
                dispatch: Number.parseFloat(element.dataset.spMs) || 0,
                receiver: Number.parseFloat(element.dataset.spReceiverMs) || 0,
                outside: Number.parseFloat(element.dataset.spOutsideMs) || 0,
            },
            collapse: (element.dataset.spCollapse || "").split(" ").filter(Boolean),
            visible: true,
        };
        items.push(item);
        byId.set(id, item);
    }
    const lanes = [...root.querySelectorAll("button.djdt-sp-lane[data-sp-id]")];
    for (const lane of lanes) {
        const item = byId.get(lane.dataset.spId);
        if (item) {
            item.lane = lane;
        }
    }
    const expanded = new Set();

    const search = root.querySelector(".djdt-sp-search");
    const familyButtons = [...root.querySelectorAll("button.djdt-sp-family")];
    const errors = root.querySelector(".djdt-sp-errors");
    const slow = root.querySelector(".djdt-sp-slow");
    const threshold = root.querySelector(".djdt-sp-threshold");
    const measure = root.querySelector(".djdt-sp-slow-measure");
    const statusText = root.querySelector(".djdt-sp-status-text");
    // Sends that reached a receiver, kept in detail or only counted.
    const sends = Number.parseInt(root.dataset.spDispatches, 10) || items.length;
    const showNoise = root.querySelector(".djdt-sp-show-noise");
    const empty = root.querySelector(".djdt-sp-empty");

    // Restore the state of an earlier rendering; new families keep the
    // server's default (framework signals hidden).
    for (const button of familyButtons) {
        const name = button.dataset.spFamily;
        if (!(name in state.families)) {
            state.families[name] = button.getAttribute("aria-pressed") === "true";
        }
        button.setAttribute("aria-pressed", String(state.families[name]));
    }
    if (search) {
        search.value = state.query;
    }
    if (errors) {
        errors.checked = state.errors;
    }
    if (slow) {
        slow.checked = state.slow;
    }
    if (threshold) {
        if (state.threshold === null) {
            state.threshold = Number.parseFloat(threshold.value) || 0;
        }
        threshold.value = String(state.threshold);
    }
    if (measure) {
        measure.value = state.measure;
    }

    function familyShown(name) {
        return state.families[name] !== false;
    }

    function apply() {
        const query = state.query.trim().toLowerCase();
        const filtering = query !== "" || state.errors || state.slow;
        let shown = 0;
        let foldedCount = 0;
        const hiddenByFamily = {};
        for (const item of items) {
            const matches =
                (query === "" || item.search.includes(query)) &&
                (!state.errors || item.error) &&
                (!state.slow || (item.ms[state.measure] ?? 0) > state.threshold);
            // Repeats stay folded under their first dispatch unless filtering.
            const folded =
                !filtering && item.collapse.some((group) => !expanded.has(group));
            const familyOn = familyShown(item.family);
            const visible = matches && familyOn && !folded;
            if (matches && !familyOn && !folded) {
                hiddenByFamily[item.family] = (hiddenByFamily[item.family] || 0) + 1;
            }
            if (matches && familyOn && folded) {
                foldedCount++;
            }
            if (visible) {
                shown++;
            }
            if (visible !== item.visible) {
                item.visible = visible;
                setHidden(item.element, !visible);
                setHidden(item.lane, !visible);
            }
        }
        setHidden(empty, shown !== 0 && items.length !== 0);

        const noise = hiddenByFamily.framework || 0;
        const otherHidden = Object.entries(hiddenByFamily)
            .filter(([name]) => name !== "framework")
            .reduce((sum, [, count]) => sum + count, 0);
        const matched = shown + foldedCount + noise + otherHidden;
        if (statusText) {
            statusText.textContent = statusSentence({
                sends,
                detailed: items.length,
                shown,
                folded: foldedCount,
                noise,
                otherHidden,
                unmatched: items.length - matched,
            });
        }
        applyElsewhere(matched);
        setHidden(showNoise, noise === 0);
        fixRovingFocus();
    }

    // Timeline: one tab stop; arrow keys move between visible bars.
    function visibleLanes() {
        return lanes.filter((lane) => !lane.classList.contains("djdt-sp-hidden"));
    }

    function fixRovingFocus() {
        const visible = visibleLanes();
        const current = lanes.find((lane) => lane.tabIndex === 0);
        if (current && visible.includes(current)) {
            return;
        }
        if (current) {
            current.tabIndex = -1;
        }
        if (visible.length) {
            visible[0].tabIndex = 0;
        }
    }

    function focusLane(lane) {
        for (const other of lanes) {
            other.tabIndex = other === lane ? 0 : -1;
        }
        lane.focus();
    }

    function setDetail(item, open) {
        if (!item.detail) {
            return;
        }
        item.detail.classList.toggle("djdt-sp-open", open);
        if (item.toggle) {
            item.toggle.setAttribute("aria-expanded", String(open));
            item.toggle.textContent = open ? "−" : "+";
        }
    }

    // Show a dispatch's detail row: from a timeline bar or an "Inside #n" link.
    function reveal(id) {
        const item = byId.get(String(id));
        if (!item) {
            return;
        }
        selectTab("dispatches", false);
        if (!item.visible) {
            for (const group of item.collapse) {
                expanded.add(group);
                for (const button of root.querySelectorAll(
                    `button.djdt-sp-repeats[data-sp-group="${CSS.escape(group)}"]`
                )) {
                    button.setAttribute("aria-expanded", "true");
                }
            }
            state.families[item.family] = true;
            for (const button of familyButtons) {
                if (button.dataset.spFamily === item.family) {
                    button.setAttribute("aria-pressed", "true");
                }
            }
            apply();
            if (!item.visible) {
                // Still hidden by the search, errors or slow filters: clear them.
                clearFilters();
            }
        }
        setDetail(item, true);
        for (const other of root.querySelectorAll(".djdt-highlighted, .djdt-sp-current")) {
            other.classList.remove("djdt-highlighted", "djdt-sp-current");
        }
        item.row.classList.add("djdt-highlighted");
        item.lane?.classList.add("djdt-sp-current");
        item.row.scrollIntoView({ block: "nearest" });
        item.toggle?.focus({ preventScroll: true });
    }

    function clearFilters() {
        state.query = "";
        state.errors = false;
        state.slow = false;
        if (search) {
            search.value = "";
        }
        if (errors) {
            errors.checked = false;
        }
        if (slow) {
            slow.checked = false;
        }
        apply();
    }

    // Tabs (WAI-ARIA tabs pattern, automatic activation).
    const tabs = [...root.querySelectorAll("[role=tab][data-sp-tab]")];
    const tabPanels = [...root.querySelectorAll("[role=tabpanel][data-sp-tabpanel]")];

    function selectTab(name, focus) {
        const tab = tabs.find((candidate) => candidate.dataset.spTab === name);
        if (!tab) {
            return;
        }
        state.tab = name;
        for (const candidate of tabs) {
            const selected = candidate === tab;
            candidate.setAttribute("aria-selected", String(selected));
            candidate.tabIndex = selected ? 0 : -1;
        }
        for (const panel of tabPanels) {
            setHidden(panel, panel.dataset.spTabpanel !== name);
        }
        if (focus) {
            tab.focus();
        }
        if (name === "across") {
            loadAcross();
        }
    }

    // "Across requests": fetched from our view when the tab is first shown,
    // so that the other tabs never wait for every stored document.
    const acrossPanel = root.querySelector("[data-sp-tabpanel=across]");
    let acrossRows = [];

    async function loadAcross() {
        if (!acrossPanel || acrossPanel.dataset.spLoaded) {
            return;
        }
        acrossPanel.dataset.spLoaded = "loading";
        const status = acrossPanel.querySelector(".djdt-sp-across-status");
        const url = new URL(acrossPanel.dataset.spAcrossUrl, globalThis.location);
        url.searchParams.append("panel_id", root.dataset.spPanel || "SignalPanel");
        url.searchParams.append("request_id", root.dataset.spRequestId || "");
        try {
            const content = await fetchFragment(url);
            acrossPanel.querySelector(".djdt-sp-across-body").replaceChildren(content);
            acrossRows = [
                ...acrossPanel.querySelectorAll("tr.djdt-sp-across-row, tr.djdt-sp-across-orphan"),
            ];
            setHidden(status, true);
            acrossPanel.dataset.spLoaded = "ready";
            apply();
        } catch (error) {
            status.textContent = `Could not sum the stored requests: ${error.message}`;
            delete acrossPanel.dataset.spLoaded;
        }
    }

    // Re-sorting a table by a column: numbers descending first, text ascending.
    function sortBy(button) {
        const th = button.closest("th");
        const table = th.closest("table");
        const column = [...th.parentElement.children].indexOf(th);
        const numeric = button.dataset.spSortType !== "text";
        const current = th.getAttribute("aria-sort");
        const firstWay = numeric ? "descending" : "ascending";
        const way = current === firstWay ? (numeric ? "ascending" : "descending") : firstWay;
        for (const other of table.querySelectorAll("thead th[aria-sort]")) {
            other.setAttribute("aria-sort", other === th ? way : "none");
        }
        const body = table.tBodies[0];
        const value = (row) => row.children[column]?.dataset.spSort ?? "";
        const rows = [...body.rows].sort((a, b) => {
            const order = numeric
                ? Number(value(a)) - Number(value(b))
                : value(a).localeCompare(value(b));
            return way === "ascending" ? order : -order;
        });
        body.append(...rows);
    }

    // The request where a receiver cost the most: switch the toolbar to it
    // as the History panel's "Switch" does, then show this panel of it.
    async function switchTo(requestId) {
        const historyUrl = acrossPanel?.dataset.spHistoryUrl;
        const utilsUrl = acrossPanel?.dataset.spToolbarUtils;
        const panelId = root.dataset.spPanel || "SignalPanel";
        if (!historyUrl || !utilsUrl) {
            return;
        }
        const url = new URL(historyUrl, globalThis.location);
        url.searchParams.append("request_id", requestId);
        url.searchParams.append("exclude_history", "True");
        const response = await fetch(url, { credentials: "same-origin" });
        const data = response.ok ? await response.json() : {};
        const status = acrossPanel.querySelector(".djdt-sp-across-status");
        if (!data[panelId]) {
            status.textContent = "That request has left the toolbar's store.";
            setHidden(status, false);
            return;
        }
        const utils = await import(new URL(utilsUrl, globalThis.location).href);
        utils.replaceToolbarState(requestId, data);
        toolbarLink(panelId)?.click();
    }

    // The other tabs: the search box filters their rows too, and each tab
    // says how many of its rows match.
    const registryFired = root.querySelector(".djdt-sp-registry-fired");
    const registryEntries = [...root.querySelectorAll("tbody.djdt-sp-registry-entry")];
    const groupRows = [...root.querySelectorAll("tr.djdt-sp-group, tr.djdt-sp-orphan")];

    function filterRows(rows, query, extra) {
        let count = 0;
        for (const row of rows) {
            const visible =
                (query === "" || (row.dataset.spSearch || "").includes(query)) &&
                extra(row);
            setHidden(row, !visible);
            count += visible ? 1 : 0;
        }
        return count;
    }

    function applyRegistry() {
        return filterRows(
            registryEntries,
            state.query.trim().toLowerCase(),
            (entry) => !state.registryFired || entry.dataset.spFired === "1"
        );
    }

    function applyElsewhere(dispatchMatches) {
        const query = state.query.trim().toLowerCase();
        const matches = {
            dispatches: dispatchMatches,
            groups: filterRows(groupRows, query, () => true),
            registry: applyRegistry(),
            // Not fetched yet: nothing to count.
            across: acrossPanel?.dataset.spLoaded === "ready" ? filterRows(acrossRows, query, () => true) : null,
        };
        for (const tab of tabs) {
            const badge = tab.querySelector(".djdt-sp-matches");
            if (badge) {
                const count = matches[tab.dataset.spTab] ?? 0;
                const unknown = matches[tab.dataset.spTab] === null;
                badge.textContent = query === "" || unknown ? "" : ` · ${matchText(count)}`;
                badge.classList.toggle("djdt-sp-no-match", count === 0);
            }
        }
    }
    if (registryFired) {
        registryFired.checked = state.registryFired;
    }

    // A finding's "Show in the Registry": the signal's entry, the receiver's row.
    function showInRegistry(signal, receiver) {
        selectTab("registry", false);
        const entry = registryEntries.find((each) => each.dataset.spSignal === signal);
        if (!entry) {
            return;
        }
        if (entry.classList.contains("djdt-sp-hidden")) {
            state.query = "";
            state.registryFired = false;
            if (search) {
                search.value = "";
            }
            if (registryFired) {
                registryFired.checked = false;
            }
            apply();
        }
        const rows = [...entry.querySelectorAll("tr[data-sp-receiver]")];
        const row = rows.find((each) => each.dataset.spReceiver === receiver) || rows[0];
        for (const other of root.querySelectorAll(".djdt-highlighted, .djdt-sp-current")) {
            other.classList.remove("djdt-highlighted", "djdt-sp-current");
        }
        if (row) {
            row.classList.add("djdt-highlighted");
            row.tabIndex = -1;
            row.scrollIntoView({ block: "center" });
            row.focus({ preventScroll: true });
        }
    }

    // The toolbar's own panels (Request, Headers): their link in its sidebar.
    function toolbarLink(panelId) {
        const djDebug = debugElement();
        return djDebug?.querySelector(`#djDebugToolbar a.${CSS.escape(panelId)}`) || null;
    }
    for (const button of root.querySelectorAll("button.djdt-sp-open-panel")) {
        setHidden(button, !toolbarLink(button.dataset.spOpenPanel));
    }

    function download() {
        const data = root.querySelector('script[type="application/json"]');
        if (!data) {
            return;
        }
        let text = data.textContent;
        try {
            text = JSON.stringify(JSON.parse(text), null, 2);
        } catch {
            // Keep the document as embedded.
        }
        const requestId =
            root.dataset.spRequestId || debugElement()?.dataset.requestId || "request";
        const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
        const link = document.createElement("a");
        link.href = url;
        link.download = `signals-${requestId}.json`;
        link.hidden = true;
        root.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
    }

    // Events: one delegated listener per kind on the panel's root.
    root.addEventListener("input", (event) => {
        const target = event.target;
        if (target === search) {
            state.query = search.value;
            apply();
        } else if (target === threshold) {
            state.threshold = Number.parseFloat(threshold.value) || 0;
            if (state.slow) {
                apply();
            }
        } else if (target === measure) {
            state.measure = measure.value;
            if (state.slow) {
                apply();
            }
        }
    });

    root.addEventListener("change", (event) => {
        const target = event.target;
        if (target === errors) {
            state.errors = errors.checked;
            apply();
        } else if (target === slow) {
            state.slow = slow.checked;
            apply();
        } else if (target === registryFired) {
            state.registryFired = registryFired.checked;
            apply();
        }
    });

    root.addEventListener("click", (event) => {
        const target = event.target.closest("button");
        if (!target || !root.contains(target)) {
            return;
        }
        if (target.classList.contains("djdt-sp-toggle")) {
            const item = byId.get(target.closest(".djdt-sp-dispatch").dataset.spId);
            if (item) {
                setDetail(item, !item.detail.classList.contains("djdt-sp-open"));
            }
        } else if (target.classList.contains("djdt-sp-lane")) {
            focusLane(target);
            reveal(target.dataset.spId);
        } else if (target.classList.contains("djdt-sp-jump")) {
            reveal(target.dataset.spTarget);
        } else if (target.classList.contains("djdt-sp-registry-link")) {
            showInRegistry(target.dataset.spSignal, target.dataset.spReceiver);
        } else if (target.classList.contains("djdt-sp-open-panel")) {
            toolbarLink(target.dataset.spOpenPanel)?.click();
        } else if (target.classList.contains("djdt-sp-family")) {
            const name = target.dataset.spFamily;
            state.families[name] = !familyShown(name);
            target.setAttribute("aria-pressed", String(state.families[name]));
            apply();
        } else if (target.classList.contains("djdt-sp-show-noise")) {
            state.families.framework = true;
            for (const button of familyButtons) {
                if (button.dataset.spFamily === "framework") {
                    button.setAttribute("aria-pressed", "true");
                }
            }
            apply();
        } else if (target.classList.contains("djdt-sp-repeats")) {
            const group = target.dataset.spGroup;
            const open = !expanded.has(group);
            if (open) {
                expanded.add(group);
            } else {
                expanded.delete(group);
            }
            target.setAttribute("aria-expanded", String(open));
            apply();
        } else if (target.classList.contains("djdt-sp-sort")) {
            sortBy(target);
        } else if (target.classList.contains("djdt-sp-switch")) {
            switchTo(target.dataset.spSwitch);
        } else if (target.dataset.spTab) {
            selectTab(target.dataset.spTab, false);
        } else if (target.classList.contains("djdt-sp-download")) {
            download();
        } else if (target.classList.contains("djdt-sp-refresh")) {
            refresh(true);
        }
    });

    // The hovered or focused bar's description, next to the "Timeline"
    // heading (its title attribute only shows on hover; screen readers read
    // its aria-label).
    const readout = root.querySelector(".djdt-sp-readout");
    function describeLane(event) {
        const lane = event.target.closest?.("button.djdt-sp-lane");
        if (readout && lane && root.contains(lane)) {
            readout.textContent = lane.getAttribute("title") || "";
        }
    }
    root.addEventListener("focusin", describeLane);
    root.addEventListener("mouseover", describeLane);

    root.addEventListener("keydown", (event) => {
        const target = event.target;
        if (target.matches("[role=tab]")) {
            const index = tabs.indexOf(target);
            let next = null;
            if (event.key === "ArrowRight") {
                next = tabs[(index + 1) % tabs.length];
            } else if (event.key === "ArrowLeft") {
                next = tabs[(index - 1 + tabs.length) % tabs.length];
            } else if (event.key === "Home") {
                next = tabs[0];
            } else if (event.key === "End") {
                next = tabs[tabs.length - 1];
            }
            if (next) {
                event.preventDefault();
                selectTab(next.dataset.spTab, true);
            }
        } else if (target.matches("button.djdt-sp-lane")) {
            const visible = visibleLanes();
            const index = visible.indexOf(target);
            let next = null;
            if (event.key === "ArrowDown") {
                next = visible[Math.min(index + 1, visible.length - 1)];
            } else if (event.key === "ArrowUp") {
                next = visible[Math.max(index - 1, 0)];
            } else if (event.key === "Home") {
                next = visible[0];
            } else if (event.key === "End") {
                next = visible[visible.length - 1];
            }
            if (next) {
                event.preventDefault();
                focusLane(next);
            }
        }
    });

    // Content stored before request_finished: fetch it again until the
    // store has the rest, then replace it (or now, on "Refresh").
    const unfinished = root.querySelector(".djdt-sp-unfinished");
    const refreshButton = unfinished?.querySelector(".djdt-sp-refresh");
    const refreshStatus = unfinished?.querySelector(".djdt-sp-refresh-status");
    const url = unfinished ? renderPanelUrl(root) : null;
    let tries = 0;
    let timer = null;
    let fetching = false;

    async function refresh(now) {
        if (fetching || !root.isConnected) {
            return;
        }
        fetching = true;
        let fresh = null;
        try {
            fresh = await fetchContent(url);
        } catch (error) {
            console.warn("signal_panel could not fetch its content again", error);
        }
        fetching = false;
        if (!root.isConnected) {
            return; // The toolbar replaced the panel meanwhile.
        }
        if (fresh && (now || fresh.dataset.spFinished === "1")) {
            clearTimeout(timer);
            root.replaceWith(fresh);
            initPanel(fresh);
        } else if (!now) {
            poll();
        }
    }

    function poll() {
        if (tries >= POLL_TRIES) {
            refreshStatus.textContent = `Not stored after ${(POLL_MS * POLL_TRIES) / 1000} s: Refresh to look again.`;
            return;
        }
        tries++;
        timer = setTimeout(() => refresh(false), POLL_MS);
    }

    if (unfinished && url) {
        refreshStatus.textContent = "This panel updates itself when it is stored.";
        setHidden(refreshButton, false);
        poll();
    } else if (unfinished) {
        // Rendered with the page (RENDER_PANELS): nothing to fetch it from.
        refreshStatus.textContent =
            "Panels rendered with the page (RENDER_PANELS) cannot show it.";
    }

    selectTab(state.tab, false);
    apply();
    syncSubtitle(root);
    root.dataset.spReady = "ready";
}

// The status line: what became of the sends, in one sentence that adds up.
function statusSentence({ sends, detailed, shown, folded, noise, otherHidden, unmatched }) {
    if (sends === 0 && detailed === 0) {
        return "No dispatch reached a receiver.";
    }
    const head =
        sends <= detailed
            ? `${plural(detailed, "dispatch", "dispatches")}, all kept in detail`
            : `${plural(sends, "dispatch", "dispatches")}: ${detailed} kept in detail`;
    const counted =
        sends > detailed ? `; ${sends - detailed} more only counted, in the Groups tab` : "";
    if (shown === detailed) {
        return `${head}${detailed ? " and shown" : ""}${counted}.`;
    }
    const parts = [`${shown} shown`];
    if (folded) {
        parts.push(`${folded} folded under "more in detail"`);
    }
    if (noise) {
        parts.push(`${plural(noise, "framework dispatch", "framework dispatches")} hidden`);
    }
    if (otherHidden) {
        parts.push(`${otherHidden} hidden by family toggles`);
    }
    if (unmatched) {
        parts.push(`${unmatched} not matching the filters`);
    }
    return `${head} (${parts.join(", ")})${counted}.`;
}

function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
}

function matchText(count) {
    return count === 0 ? "no match" : plural(count, "match", "matches");
}

// ddt's render_panel URL for this content, as toolbar.js builds it; null
// when the toolbar has no request id (RENDER_PANELS).
function renderPanelUrl(root) {
    const base = debugElement()?.dataset.renderPanelUrl;
    const requestId = root.dataset.spRequestId;
    if (!base || !requestId) {
        return null;
    }
    const url = new URL(base, globalThis.location);
    url.searchParams.append("request_id", requestId);
    url.searchParams.append("panel_id", root.dataset.spPanel || "SignalPanel");
    return url;
}

// The panel's root in the content the store has now, or null.
async function fetchContent(url) {
    return (await fetchFragment(url)).querySelector(".djdt-signal-panel");
}

// The server-rendered (escaped) HTML of a view answering {"content": html},
// parsed inert: a template's content runs no script and loads no image.
async function fetchFragment(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
        throw new Error(`${response.status} ${response.statusText}`);
    }
    const data = await response.json();
    const template = document.createElement("template");
    template.innerHTML = data.content;
    return template.content;
}

// The sidebar's line for this panel, as this content computes it from the
// stored document, so that the sidebar and the panel say the same numbers.
function syncSubtitle(root) {
    const djDebug = debugElement();
    const subtitle = root.dataset.spSubtitle;
    const requestId = djDebug?.dataset.requestId;
    if (!subtitle || (requestId && root.dataset.spRequestId !== requestId)) {
        return;
    }
    const panelId = CSS.escape(root.dataset.spPanel || "SignalPanel");
    const small = djDebug.querySelector(`#djdt-${panelId} small`);
    if (small && small.textContent !== subtitle) {
        small.textContent = subtitle;
    }
}

function initWithin(scope) {
    for (const root of scope.querySelectorAll(".djdt-signal-panel")) {
        initPanel(root);
    }
}

function listen() {
    const djDebug = debugElement();
    if (!djDebug) {
        return;
    }
    if (!listening.has(djDebug)) {
        listening.add(djDebug);
        djDebug.addEventListener("djdt.panel.render", (event) => {
            const panelId = event.detail?.panelId;
            const panel = panelId ? djDebug.querySelector(`#${CSS.escape(panelId)}`) : null;
            if (panel) {
                initWithin(panel);
            }
        });
    }
    // The content may already be there: rendered with the page
    // (RENDER_PANELS) or fetched before this module finished loading.
    initWithin(djDebug);
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", listen);
} else {
    listen();
}
