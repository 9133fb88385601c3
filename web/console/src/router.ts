import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuth } from '@/stores/auth'

// Every page is its own chunk: the login page does not download the map.
// meta.perm names the permission a page needs; the menu hides what the
// user may not open and the guard sends them to the overview instead.
const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('@/views/MainLayout.vue'),
    children: [
      { path: '', name: 'overview', component: () => import('@/views/OverviewView.vue'), meta: { perm: 'registry.read' } },
      { path: 'map', name: 'map', component: () => import('@/views/MapView.vue'), meta: { perm: 'monitor.read' } },
      { path: 'alarms', name: 'alarms', component: () => import('@/views/AlarmsView.vue'), meta: { perm: 'monitor.read' } },
      { path: 'playback', name: 'playback', component: () => import('@/views/PlaybackView.vue'), meta: { perm: 'monitor.read' } },
      { path: 'waybills', name: 'waybills', component: () => import('@/views/WaybillsView.vue'), meta: { perm: 'waybill.read' } },
      { path: 'waybills/new', name: 'waybill-new', component: () => import('@/views/WaybillEditView.vue'), meta: { perm: 'waybill.write' } },
      { path: 'waybills/:id(\\d+)', name: 'waybill', component: () => import('@/views/WaybillDetailView.vue'), meta: { perm: 'waybill.read' }, props: true },
      { path: 'waybills/:id(\\d+)/edit', name: 'waybill-edit', component: () => import('@/views/WaybillEditView.vue'), meta: { perm: 'waybill.write' }, props: true },
      { path: 'dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { perm: 'monitor.read' } },
      { path: 'checks', name: 'checks', component: () => import('@/views/ChecksView.vue'), meta: { perm: 'monitor.read' } },
      { path: 'registry/:entity(vehicles|operators|practitioners|stations|routes|vessels)', name: 'registry', component: () => import('@/views/RegistryView.vue'), meta: { perm: 'registry.read' }, props: true },
    ],
  },
  // The command-center screen fills the window, without the console's frame;
  // it is the authorities' (an enterprise watches its fleet on the map).
  { path: '/bigscreen', name: 'bigscreen', component: () => import('@/views/BigScreenView.vue'), meta: { perm: 'monitor.read', authority: true } },
  // The printable e-waybill with its QR code, without the console's frame.
  { path: '/waybills/:id(\\d+)/print', name: 'waybill-print', component: () => import('@/views/WaybillPrintView.vue'), meta: { perm: 'waybill.read' }, props: true },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const auth = useAuth()
  if (!auth.checked) await auth.load()
  if (to.meta.public) {
    return auth.me ? { path: '/' } : true
  }
  if (!auth.me) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  const perm = to.meta.perm as string | undefined
  const refused = (perm && !auth.can(perm)) || (to.meta.authority && !!auth.me.scope.operator_id)
  if (refused) {
    // Enterprise users without registry.read start on the map, and so on.
    for (const [name, p] of [['map', 'monitor.read'], ['overview', 'registry.read']] as const) {
      if (to.name !== name && auth.can(p)) return { name }
    }
  }
  return true
})
