# Module 11, exercise: the resources sam delete leaves behind, from the template itself: those
# with DeletionPolicy: Retain (the two tables and the user pool, at the time of writing).
npx tsx -e "
  import { loadTemplate } from './local/template';
  for (const [id, resource] of Object.entries(loadTemplate().Resources))
    if (resource.DeletionPolicy === 'Retain') console.log(id);
"
