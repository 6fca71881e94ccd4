import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { bindLiveToSession } from './stores/live.svelte';
import { router } from './stores/router.svelte';
import { session } from './stores/session.svelte';

router.start();
bindLiveToSession();
void session.load();

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
export default mount(App, { target });
