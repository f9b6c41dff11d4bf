// Roster member portal: the one script. Everything works without it except the live TeamSpeak
// link status, which it polls so the page updates by itself when the link completes.
'use strict';

function watchTeamspeakLink(panel) {
  const url = panel.getAttribute('data-status-url');
  const live = panel.querySelector('[data-live]');
  if (!url || !live) return;
  let stopped = false;
  async function tick() {
    if (stopped) return;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (response.ok) {
        const status = await response.json();
        if (status.state === 'linked') {
          stopped = true;
          live.textContent = status.message;
          live.className = 'status ok';
          panel.setAttribute('data-state', 'linked');
          const done = panel.querySelector('[data-when-linked]');
          if (done) done.hidden = false;
          const check = panel.querySelector('[data-when-pending]');
          if (check) check.hidden = true;
          return;
        }
        if (status.state === 'expired') {
          stopped = true;
          live.textContent = status.message;
          live.className = 'status problem';
          panel.setAttribute('data-state', 'expired');
          return;
        }
        live.textContent = status.message;
      }
    } catch {
      // A failed poll is retried on the next tick.
    }
    setTimeout(tick, 1500);
  }
  void tick();
}

document.addEventListener('DOMContentLoaded', () => {
  for (const panel of document.querySelectorAll('[data-teamspeak-link]')) watchTeamspeakLink(panel);
});
