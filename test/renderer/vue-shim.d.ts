// tsconfig.node.json checks these tests with plain tsc, which cannot read .vue files;
// the components themselves are type-checked by vue-tsc through tsconfig.web.json.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent
  export default component
}
