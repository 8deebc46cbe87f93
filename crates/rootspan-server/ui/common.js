// Shared behaviour of every page: the "open trace by id" box in the header.
const jump = document.querySelector('form[data-jump]');
if (jump) {
  jump.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = jump.querySelector('input').value.trim();
    if (id) location.href = '/traces/' + encodeURIComponent(id);
  });
}

// A diff page opens at its first divergence.
const divergence = document.getElementById('first-divergence');
if (divergence && !location.hash) divergence.scrollIntoView({ block: 'center' });
