// edgeca portal: entry module (the portal's pages replace this placeholder).
const main = document.getElementById('app');
if (main !== null) {
  main.dataset.ready = 'true';
}
